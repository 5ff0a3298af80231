//! Domain types and rules. No I/O, no AWS, no HTTP: every constructor is the
//! validation, so a value of these types is valid by construction.

pub mod clock;
pub mod notification;
pub mod order;
pub mod payment;
pub mod product;
pub mod throttle;
pub mod user;

pub use clock::Timestamp;
pub use order::{LineRequest, Order, OrderId, OrderLine, OrderRequest, OrderStatus, Quantity};
pub use product::{
    Category, Currency, Description, NewProduct, PriceCents, Product, ProductId, ProductName,
    ProductPatch, Stock, StockChange, StockDelta, Version,
};
pub use user::{Email, LoginName, NewUser, Password, Role, User, UserId, Username};
