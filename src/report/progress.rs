//! Progress on stderr while a multi-endpoint run is under way: one line, rewritten in place,
//! and only on a terminal, so pipes, files and CI logs never see it.

use std::io::Write;

/// The progress line.
#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    shown: bool,
}

impl Progress {
    /// A progress line that is drawn only when `terminal` (stderr is a TTY).
    pub fn new(terminal: bool) -> Self {
        Progress {
            enabled: terminal,
            shown: false,
        }
    }

    /// The text for a state: `3 of 8 endpoints done, waiting for mx2.contoso.com [...]:25`.
    pub fn text(done: usize, total: usize, waiting: Option<&str>) -> String {
        let wait = waiting
            .map(|w| format!(", waiting for {w}"))
            .unwrap_or_default();
        format!("starttls-check: {done} of {total} endpoints done{wait}")
    }

    /// Whether anything is drawn at all (stderr is a terminal): a caller need not make a line
    /// nobody sees.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Redraws the line (once per finished endpoint); single-endpoint runs draw nothing.
    pub fn update(&mut self, done: usize, total: usize, waiting: Option<&str>) {
        self.show(
            &Self::text(done, total, waiting),
            total >= 2 && done < total,
        );
    }

    /// Draws `line` in place of the last one, when `active` (there is still something to
    /// wait for) and stderr is a terminal.
    pub fn show(&mut self, line: &str, active: bool) {
        if !self.enabled || !active {
            return;
        }
        let mut line = line.to_string();
        // Never wrap: a wrapped line cannot be erased with \r.
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<usize>().ok())
            .unwrap_or(80)
            .saturating_sub(1);
        if line.chars().count() > width {
            line = line.chars().take(width.saturating_sub(1)).collect();
            line.push('…');
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
        self.shown = true;
    }

    /// Erases the line, if one was drawn, before the report is printed.
    pub fn finish(&mut self) {
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.shown = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_names_the_endpoint_still_awaited() {
        assert_eq!(
            Progress::text(3, 8, Some("mx2.contoso.com [203.0.113.9]:25")),
            "starttls-check: 3 of 8 endpoints done, waiting for mx2.contoso.com [203.0.113.9]:25"
        );
        assert_eq!(
            Progress::text(0, 2, None),
            "starttls-check: 0 of 2 endpoints done"
        );
    }
}
