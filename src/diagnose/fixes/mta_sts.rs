//! Fixes for the mta_sts findings: data, built from values the probe saw.
