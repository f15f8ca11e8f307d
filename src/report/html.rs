//! `--format html`: one self-contained page for a batch (placeholder until the page lands).

use super::batch::Batch;

/// The page.
pub fn render(batch: &Batch) -> String {
    format!("<!doctype html><title>{}</title>\n", batch.counts.total)
}
