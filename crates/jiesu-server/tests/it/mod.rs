mod attacks;
mod binary;
pub mod common;
mod hygiene;
mod live;
mod property;
mod refusals;
mod scenarios;
mod storage;
