//! `quickstep cost`'s model: one execution run through the service on counting adapters,
//! both ways ([`drive`]), what AWS would bill for it ([`bill`]), from one price table
//! ([`prices`]). The counting adapters are in [`meters`]; DynamoDB's are the AWS adapter's
//! own ([`quickstep_aws::store::metered`]), billed item by item as its requests would be.

pub mod bill;
pub mod drive;
pub mod meters;
pub mod prices;
