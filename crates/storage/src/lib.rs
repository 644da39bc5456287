//! sea-orm entities: one module per table. Queries live in the services that own each table.

pub mod entities;

pub use sea_orm;
