//! Human-readable formatting shared by the text outputs: numbers, durations, money,
//! timestamps and aligned tables.

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Milliseconds as `750.0 ms` below a second, `2.65 s` above.
pub fn duration_ms(ms: f64) -> String {
    if ms.abs() < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// US dollars: six decimals, or two significant digits for amounts below a ten-thousandth
/// of a cent (one embedding call), so a tiny cost never reads as `$0.000000`.
pub fn usd(amount: f64) -> String {
    if amount > 0.0 && amount < 1e-6 {
        let decimals = (-amount.log10()).ceil() as usize + 1;
        format!("${amount:.decimals$}")
    } else {
        format!("${amount:.6}")
    }
}

/// Unix seconds as `2026-01-03 00:26:40` (UTC).
pub fn utc(unix_seconds: f64) -> String {
    let secs = unix_seconds.floor() as i64;
    let (days, second_of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day); Howard Hinnant's
/// `civil_from_days` algorithm, which avoids a date library for this one conversion.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// One line of text, at most `max` characters, newlines flattened; `…` marks a cut.
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[derive(Clone, Copy)]
pub enum Align {
    Left,
    Right,
}

/// A plain-text table: columns padded to their widest cell, two spaces apart.
pub struct Table {
    columns: Vec<(&'static str, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(columns: &[(&'static str, Align)]) -> Table {
        Table {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.rows.push(cells);
    }

    pub fn render(&self, indent: &str) -> String {
        let header: Vec<String> = self
            .columns
            .iter()
            .map(|(name, _)| name.to_string())
            .collect();
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|c| {
                std::iter::once(&header)
                    .chain(&self.rows)
                    .map(|row| row[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::from(indent);
            for (c, cell) in row.iter().enumerate() {
                let pad = widths[c] - cell.chars().count();
                let last = c + 1 == row.len();
                match self.columns[c].1 {
                    Align::Right => {
                        line.push_str(&" ".repeat(pad));
                        line.push_str(cell);
                    }
                    Align::Left => {
                        line.push_str(cell);
                        if !last {
                            line.push_str(&" ".repeat(pad));
                        }
                    }
                }
                if !last {
                    line.push_str("  ");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_ms(750.0), "750.0 ms");
        assert_eq!(duration_ms(2650.0), "2.65 s");
    }

    #[test]
    fn money() {
        assert_eq!(usd(0.0), "$0.000000");
        assert_eq!(usd(0.0037), "$0.003700");
        assert_eq!(usd(0.00000018), "$0.00000018");
        assert_eq!(usd(12.5), "$12.500000");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0.0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_767_400_000.2), "2026-01-03 00:26:40");
        assert_eq!(utc(951_782_400.0), "2000-02-29 00:00:00");
        assert_eq!(utc(-1.0), "1969-12-31 23:59:59");
    }

    #[test]
    fn one_line_cuts_and_flattens() {
        assert_eq!(one_line("a\n  b", 10), "a b");
        assert_eq!(one_line("abcdefghij", 5), "abcd…");
    }

    #[test]
    fn table_alignment() {
        let mut table = Table::new(&[
            ("NAME", Align::Left),
            ("N", Align::Right),
            ("NOTE", Align::Left),
        ]);
        table.row(vec!["alpha".into(), "1".into(), "".into()]);
        table.row(vec!["b".into(), "1,000".into(), "x".into()]);
        assert_eq!(
            table.render("  "),
            "  NAME       N  NOTE\n  alpha      1\n  b      1,000  x\n"
        );
    }
}
