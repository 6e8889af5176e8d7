mod binary;
pub mod common;
mod live;
mod property;
mod refusals;
mod scenarios;
