//! (to be written): resources and data sources
