//! What the numbers on every dashboard, report and CSV mean, defined once. The API publishes [`DEFINITIONS`]
//! (`metricDefinitions`), the UI shows them as tooltips, and the README quotes them.

use rust_decimal::{Decimal, RoundingStrategy};

/// Sums of the counters kept per campaign, partner, day, event type and sub-ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub clicks: i64,
    pub clicks_not_counted: i64,
    pub forms: i64,
    pub calls: i64,
    pub approved: i64,
    pub rejected: i64,
    pub converted: i64,
    /// Approved leads returned later (still counted as approved; they earn nothing).
    pub returned: i64,
    /// 1/10,000 of the campaign's currency unit.
    pub earnings: i64,
}

fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    // A rate with nothing to divide by is unknown, not 0% (shown as "—").
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

impl Totals {
    /// What one click adds: counted, it earns its payout; not counted, it earns nothing.
    pub fn of_click(counted: bool, payout: i64) -> Totals {
        if counted {
            Totals { clicks: 1, earnings: payout, ..Totals::default() }
        } else {
            Totals { clicks_not_counted: 1, ..Totals::default() }
        }
    }

    /// What one lead adds as it stands now (`status` RECEIVED, APPROVED, REJECTED, CONVERTED or RETURNED): a converted
    /// or returned lead was approved first; an approved or converted one earns its payout, a returned one no longer
    /// does. A change of status adds the difference of the two (so every figure has this one definition).
    pub fn of_lead(call: bool, status: &str, payout: i64) -> Totals {
        let approved = matches!(status, "APPROVED" | "CONVERTED" | "RETURNED");
        let earns = matches!(status, "APPROVED" | "CONVERTED");
        Totals {
            forms: i64::from(!call),
            calls: i64::from(call),
            approved: i64::from(approved),
            rejected: i64::from(status == "REJECTED"),
            converted: i64::from(status == "CONVERTED"),
            returned: i64::from(status == "RETURNED"),
            earnings: if earns { payout } else { 0 },
            ..Totals::default()
        }
    }

    /// Leads submitted: forms and calls, whatever became of them.
    pub fn submitted(&self) -> i64 {
        self.forms + self.calls
    }

    /// Approved ÷ (approved + rejected): leads still waiting for a decision do not count either way.
    pub fn approval_rate(&self) -> Option<f64> {
        ratio(self.approved, self.approved + self.rejected)
    }

    /// Returned ÷ approved.
    pub fn return_rate(&self) -> Option<f64> {
        ratio(self.returned, self.approved)
    }

    /// Converted ÷ submitted.
    pub fn conversion_rate(&self) -> Option<f64> {
        ratio(self.converted, self.submitted())
    }

    /// Earnings ÷ counted clicks, in currency units rounded half-even to 4 decimal places.
    pub fn epc(&self) -> Option<Decimal> {
        (self.clicks > 0).then(|| {
            let mut epc = (Decimal::new(self.earnings, 4) / Decimal::from(self.clicks))
                .round_dp_with_strategy(4, RoundingStrategy::MidpointNearestEven)
                .normalize();
            if epc.scale() < 2 {
                epc.rescale(2);
            }
            epc
        })
    }

    pub fn add(&mut self, o: &Totals) {
        self.clicks += o.clicks;
        self.clicks_not_counted += o.clicks_not_counted;
        self.forms += o.forms;
        self.calls += o.calls;
        self.approved += o.approved;
        self.rejected += o.rejected;
        self.converted += o.converted;
        self.returned += o.returned;
        self.earnings += o.earnings;
    }

    /// `self` minus `o`, figure by figure.
    pub fn minus(&self, o: &Totals) -> Totals {
        Totals {
            clicks: self.clicks - o.clicks,
            clicks_not_counted: self.clicks_not_counted - o.clicks_not_counted,
            forms: self.forms - o.forms,
            calls: self.calls - o.calls,
            approved: self.approved - o.approved,
            rejected: self.rejected - o.rejected,
            converted: self.converted - o.converted,
            returned: self.returned - o.returned,
            earnings: self.earnings - o.earnings,
        }
    }
}

/// A metric's name in the API, its label on screen and what it means.
pub struct Definition {
    pub name: &'static str,
    pub label: &'static str,
    pub description: &'static str,
}

pub const DEFINITIONS: &[Definition] = &[
    Definition {
        name: "clicks",
        label: "Clicks",
        description: "Clicks on the tracking link that were counted: not over a click cap, partner and campaign active.",
    },
    Definition {
        name: "clicksNotCounted",
        label: "Clicks not counted",
        description: "Clicks recorded but not counted: a click cap was reached, or the partner was paused or removed.",
    },
    Definition { name: "forms", label: "Forms", description: "Web-form leads submitted." },
    Definition { name: "calls", label: "Calls", description: "Phone-call leads submitted." },
    Definition {
        name: "submitted",
        label: "Leads",
        description: "Leads submitted (forms + calls), whatever their status now.",
    },
    Definition {
        name: "approved",
        label: "Approved",
        description: "Leads the campaign owner approved, including those later converted.",
    },
    Definition {
        name: "rejected",
        label: "Rejected",
        description: "Leads the campaign owner rejected, with a reason.",
    },
    Definition { name: "converted", label: "Converted", description: "Approved leads the owner marked converted." },
    Definition {
        name: "returned",
        label: "Returned",
        description: "Approved (or converted) leads the owner returned later, with a reason: still counted as approved, \
                      their payout reversed.",
    },
    Definition {
        name: "approvalRate",
        label: "Approval rate",
        description: "Approved ÷ (approved + rejected). Leads awaiting a decision are left out. — when there is \
                      nothing decided yet.",
    },
    Definition {
        name: "returnRate",
        label: "Return rate",
        description: "Returned ÷ approved. — when no lead was approved.",
    },
    Definition {
        name: "conversionRate",
        label: "Conversion rate",
        description: "Converted ÷ leads submitted. — when no lead was submitted.",
    },
    Definition {
        name: "earnings",
        label: "Earnings",
        description: "Payouts earned: counted clicks at their click payout, approved (and converted) leads at their \
                      lead payout, fixed when the event was recorded; a returned lead's payout is taken back. For the \
                      campaign owner this is the cost.",
    },
    Definition {
        name: "epc",
        label: "EPC",
        description: "Earnings per click: earnings ÷ counted clicks. — when there were no counted clicks.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_with_nothing_to_divide_by_are_unknown() {
        let t = Totals::default();
        assert_eq!((t.approval_rate(), t.conversion_rate(), t.epc()), (None, None, None));
    }

    #[test]
    fn what_one_event_adds() {
        assert_eq!(Totals::of_click(true, 3_500), Totals { clicks: 1, earnings: 3_500, ..Totals::default() });
        assert_eq!(Totals::of_click(false, 3_500), Totals { clicks_not_counted: 1, ..Totals::default() });
        let converted = Totals::of_lead(true, "CONVERTED", 400_000);
        assert_eq!(
            converted,
            Totals { calls: 1, approved: 1, converted: 1, earnings: 400_000, ..Totals::default() },
            "a converted lead was approved, and earns"
        );
        assert_eq!(Totals::of_lead(false, "REJECTED", 125_000), Totals { forms: 1, rejected: 1, ..Totals::default() });
        assert_eq!(Totals::of_lead(false, "RECEIVED", 125_000), Totals { forms: 1, ..Totals::default() });
        let returned = Totals::of_lead(false, "RETURNED", 125_000);
        assert_eq!(returned, Totals { forms: 1, approved: 1, returned: 1, ..Totals::default() }, "earns nothing");
        // Returning a converted lead: one return more, one conversion and its payout less.
        assert_eq!(
            returned.minus(&Totals::of_lead(false, "CONVERTED", 125_000)),
            Totals { converted: -1, returned: 1, earnings: -125_000, ..Totals::default() }
        );
        assert_eq!(returned.return_rate(), Some(1.0));
    }

    #[test]
    fn rates_follow_the_definitions() {
        let t = Totals {
            clicks: 3,
            forms: 3,
            calls: 1,
            approved: 2,
            rejected: 1,
            converted: 1,
            earnings: 10_000,
            ..Totals::default()
        };
        assert_eq!(t.submitted(), 4);
        assert_eq!(t.approval_rate(), Some(2.0 / 3.0));
        assert_eq!(t.conversion_rate(), Some(0.25));
        // 1.00 / 3 clicks = 0.3333 (4 places).
        assert_eq!(t.epc(), Some(Decimal::new(3333, 4)));
        // Shown like an amount: 0.40, not 0.4.
        assert_eq!(
            Totals { clicks: 1, earnings: 4_000, ..Totals::default() }.epc().map(|d| d.to_string()),
            Some("0.40".into())
        );
    }
}
