//! Domain types and rules. No I/O, no AWS, no HTTP: every constructor is the
//! validation, so a value of these types is valid by construction.

#[macro_use]
mod newtype;

pub mod address;
pub mod cart;
pub mod clock;
pub mod id;
pub mod money;
pub mod notification;
pub mod order;
pub mod payment;
pub mod product;
pub mod refund;
pub mod shipping;
pub mod throttle;
pub mod user;

pub use clock::Timestamp;
pub use id::{AddressId, OrderId, PaymentId, ProductId, UserId};
pub use money::Cents;
pub use order::{
    Carrier, Fulfilment, LineRequest, Order, OrderLine, OrderRequest, OrderStatus, Quantity,
    TrackingNumber, TrackingUrl,
};
pub use product::{
    Category, Currency, Description, NewProduct, PriceCents, Product, ProductName, ProductPatch,
    Stock, StockChange, StockDelta, Version,
};
pub use user::{Email, LoginName, NewUser, Password, Role, User, Username};
