//! Fixes for the dane findings: data, built from values the probe saw.
