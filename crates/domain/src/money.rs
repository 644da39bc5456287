use rust_decimal::Decimal;

use crate::Invalid;

/// A non-negative amount of money with at most four decimal places, exact on every database:
/// it is stored as an integer count of 1/10,000 of the currency unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Money(Decimal);

const SCALE: u32 = 4;
const MAX_UNITS: i64 = 1_000_000_000 * 10_000;

impl Money {
    pub fn parse(amount: Decimal) -> Result<Self, Invalid> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(Invalid::new("An amount cannot be negative."));
        }
        let normal = amount.normalize();
        if normal.scale() > SCALE {
            return Err(Invalid::new("An amount has at most 4 decimal places."));
        }
        if normal > Decimal::from(MAX_UNITS / 10_000) {
            return Err(Invalid::new("An amount must be below 1,000,000,000."));
        }
        Ok(Self(normal.abs()))
    }

    /// The stored form: an integer count of 1/10,000 of the currency unit.
    pub fn units(self) -> i64 {
        let mut d = self.0;
        d.rescale(SCALE);
        i64::try_from(d.mantissa()).unwrap_or(i64::MAX)
    }

    pub fn from_units(units: i64) -> Self {
        Self(Decimal::new(units, SCALE).normalize())
    }

    pub fn amount(self) -> Decimal {
        let mut d = self.0;
        if d.scale() < 2 {
            d.rescale(2);
        }
        d
    }
}

/// An ISO 4217 alphabetic currency code such as `USD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency(String);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(Invalid::new("A currency is a three-letter ISO 4217 code such as USD or EUR."))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn round_trips_through_units_exactly() {
        for s in ["0", "0.1", "0.2", "12.5", "0.0001", "999999999.9999"] {
            let m = Money::parse(dec(s)).unwrap_or_default();
            assert_eq!(Money::from_units(m.units()), m, "{s}");
            assert_eq!(m.amount().normalize(), dec(s).normalize());
        }
        let sum = Money::from_units(
            Money::parse(dec("0.1")).unwrap_or_default().units() + Money::parse(dec("0.2")).unwrap_or_default().units(),
        );
        assert_eq!(sum.amount(), dec("0.30"));
    }

    #[test]
    fn rejects_negative_too_precise_and_huge() {
        assert!(Money::parse(dec("-0.01")).is_err());
        assert!(Money::parse(dec("0.00001")).is_err());
        assert!(Money::parse(dec("1000000001")).is_err());
        assert_eq!(Money::parse(dec("1.50000")).map(|m| m.units()), Ok(15_000));
    }

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::parse(" eur ").map(|c| c.0), Ok("EUR".into()));
        for bad in ["", "US", "USDX", "U$D", "12A"] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }
}
