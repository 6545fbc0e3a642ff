//! What to do with a response, and how long to wait before trying again: the OTLP/HTTP rules
//! (retry 429, 502, 503, 504 and connection failures, honouring `Retry-After`; never retry
//! anything else) with exponential backoff and jitter.

use std::time::{Duration, SystemTime};

/// The outcome of one attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    /// Worth another try, after the server's `Retry-After` when it gave one.
    Retry(Option<Duration>),
    /// Failed for good (bad data, auth, not found...).
    Rejected,
}

pub fn classify(status: u16, retry_after: Option<&str>) -> Verdict {
    match status {
        200..=299 => Verdict::Accepted,
        429 | 502 | 503 | 504 => {
            Verdict::Retry(retry_after.and_then(|v| parse_retry_after(v, SystemTime::now())))
        }
        _ => Verdict::Rejected,
    }
}

/// Attempts per batch before it is given up and counted as failed.
pub const MAX_ATTEMPTS: u32 = 6;
const FIRST_DELAY: Duration = Duration::from_millis(100);
/// No wait is longer, whatever the server asks: a longer outage costs batches, not the queue.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// The wait before attempt `attempt + 1` (`attempt` >= 1): doubling from 100 ms, with up to
/// half of it again as jitter, so that many processes do not retry in step.
pub fn backoff(attempt: u32, server_asked: Option<Duration>) -> Duration {
    if let Some(asked) = server_asked {
        return asked.min(MAX_DELAY);
    }
    let base = FIRST_DELAY.saturating_mul(1 << attempt.clamp(1, 16).saturating_sub(1));
    let jitter = base.mul_f64(random_fraction() / 2.0);
    (base + jitter).min(MAX_DELAY)
}

fn random_fraction() -> f64 {
    (crate::ids::SpanId::random().0 >> 11) as f64 / (1u64 << 53) as f64
}

/// `Retry-After` as delay-seconds or an HTTP date (IMF-fixdate).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = parse_http_date(value)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let mut fields = value.split_ascii_whitespace().skip(1);
    let day: u64 = fields.next()?.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| Some(*m) == fields.clone().next())? as u64
        + 1;
    fields.next();
    let year: u64 = fields.next()?.parse().ok()?;
    let mut clock = fields.next()?.split(':').map(|n| n.parse::<u64>().ok());
    let (h, m, s) = (clock.next()??, clock.next()??, clock.next()??);
    if fields.next()? != "GMT"
        || !(1..=31).contains(&day)
        || year < 1970
        || h > 23
        || m > 59
        || s > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(days * 86_400 + h * 3600 + m * 60 + s))
}

/// Days since 1970-01-01 of a Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_retryable_statuses_are_retried() {
        assert_eq!(classify(200, None), Verdict::Accepted);
        assert_eq!(
            classify(429, Some("2")),
            Verdict::Retry(Some(Duration::from_secs(2)))
        );
        for status in [502, 503, 504] {
            assert_eq!(classify(status, None), Verdict::Retry(None));
        }
        for status in [400, 401, 404, 413, 500] {
            assert_eq!(classify(status, None), Verdict::Rejected);
        }
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_stays_capped() {
        let first = backoff(1, None);
        assert!(
            first >= FIRST_DELAY && first <= FIRST_DELAY * 3 / 2,
            "{first:?}"
        );
        assert!(backoff(4, None) >= FIRST_DELAY * 8);
        assert_eq!(backoff(40, None), MAX_DELAY);
        assert_eq!(backoff(1, Some(Duration::from_secs(3600))), MAX_DELAY);
    }
}
