//! One page of a list, newest first, cut by the caller's `first` and `after` (the last id of the previous page).

use crate::{Error, Result};

/// The most rows a page may ask for.
pub const MAX_PAGE: u64 = 100;

pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub total_count: u64,
}

/// `first` is 1 to [`MAX_PAGE`]; `noun` names the rows in the message ("campaigns").
pub fn check_first(first: u64, noun: &str) -> Result<()> {
    if first == 0 || first > MAX_PAGE {
        return Err(Error::validation("first", format!("Ask for 1 to {MAX_PAGE} {noun} per page.")));
    }
    Ok(())
}

impl<T> Page<T> {
    /// From up to `first + 1` rows: the extra row, if any, only says that another page follows.
    pub fn from_rows(mut items: Vec<T>, first: u64, total_count: u64) -> Self {
        let has_next_page = items.len() as u64 > first;
        items.truncate(usize::try_from(first).unwrap_or(usize::MAX));
        Self { items, has_next_page, total_count }
    }
}
