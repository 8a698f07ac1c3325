//! Native-only build steps: reading data sets from disk and cleaning them.

pub mod bundle;
pub mod loaders;
pub mod model;
pub mod split;
pub mod tags;

pub use loaders::{load, Dataset, Format, LoadError, LoadOptions, LoadReport};
