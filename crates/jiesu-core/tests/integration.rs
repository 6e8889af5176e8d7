//! One integration-test binary for jiesu-core, a module per theme.

mod it {
    mod accounts;
    mod backup;
    mod campaign_changes;
    mod campaigns;
    mod clocks;
    pub mod common;
    mod convergence;
    mod counting;
    mod crash;
    mod desk;
    mod encryption;
    pub mod exports;
    mod figures;
    mod fixtures;
    mod imports;
    mod links;
    mod lookup;
    mod meetings;
    mod migrations;
    mod opening;
    mod privacy;
    pub mod reference;
    mod roles;
    mod sample;
    mod seals;
    mod search;
    mod similar;
    mod store;
    mod sync;
    mod trust;
}
