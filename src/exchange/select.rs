//! Exchange's certificate selection, modelled (written next).
