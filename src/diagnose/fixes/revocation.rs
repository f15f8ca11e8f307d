//! Fixes for the revocation findings: data, built from values the probe saw.
