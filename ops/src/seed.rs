//! The demo catalogue: 36 products in 6 categories. Ids are fixed, so seeding
//! twice adds nothing the second time.

use shared::Error;
use shared::aws::ProductsTable;
use shared::domain::{
    Category, Currency, Description, NewProduct, PriceCents, ProductId, ProductName, Stock,
    Timestamp,
};

/// (category, name, description, price in cents, stock)
pub const CATALOG: &[(&str, &str, &str, i64, i64)] = &[
    (
        "kitchen",
        "Stoneware Espresso Cup",
        "A 90 ml double-walled cup that keeps a ristretto hot.",
        1400,
        120,
    ),
    (
        "kitchen",
        "Cast Iron Skillet, 26 cm",
        "Pre-seasoned, oven-safe to 260 °C, lasts a lifetime.",
        4900,
        45,
    ),
    (
        "kitchen",
        "Chef's Knife, 20 cm",
        "Molybdenum steel blade with a full tang and a pakka-wood handle.",
        8900,
        30,
    ),
    (
        "kitchen",
        "Bamboo Cutting Board",
        "End-grain board that is gentle on edges; 40 × 28 cm.",
        3500,
        60,
    ),
    (
        "kitchen",
        "Pour-Over Coffee Dripper",
        "Ceramic cone for size 02 filters.",
        2400,
        80,
    ),
    (
        "kitchen",
        "Linen Tea Towels, Set of 3",
        "Stonewashed linen that dries fast.",
        2200,
        150,
    ),
    (
        "home-office",
        "Walnut Monitor Stand",
        "Raises a screen 12 cm and hides a keyboard beneath.",
        12900,
        25,
    ),
    (
        "home-office",
        "Mechanical Keyboard, Brown Switches",
        "Tenkeyless, hot-swappable, USB-C.",
        11900,
        40,
    ),
    (
        "home-office",
        "Ergonomic Mesh Chair",
        "Adjustable lumbar support, arms and seat depth.",
        34900,
        12,
    ),
    (
        "home-office",
        "Desk Lamp with Dimmer",
        "Warm-to-cool LED, 1,000 lumens, weighted base.",
        6900,
        55,
    ),
    (
        "home-office",
        "Felt Desk Mat, 90 × 40 cm",
        "Merino wool felt that softens every keystroke.",
        3900,
        70,
    ),
    (
        "home-office",
        "Noise-Cancelling Headphones",
        "30 hours of battery, foldable, with a hard case.",
        24900,
        20,
    ),
    (
        "outdoor",
        "Ultralight Tent, 2 Person",
        "1.3 kg, freestanding, two doors and vestibules.",
        39900,
        8,
    ),
    (
        "outdoor",
        "Down Sleeping Bag, -5 °C",
        "650-fill responsibly sourced down.",
        27900,
        15,
    ),
    (
        "outdoor",
        "Insulated Water Bottle, 750 ml",
        "Cold for 24 hours, hot for 12.",
        3200,
        200,
    ),
    (
        "outdoor",
        "Trekking Poles, Pair",
        "Carbon shafts with cork grips and flick locks.",
        12900,
        35,
    ),
    (
        "outdoor",
        "Headlamp, 400 Lumens",
        "Rechargeable, red night mode, IPX4.",
        4500,
        90,
    ),
    (
        "outdoor",
        "Camp Stove with Igniter",
        "Boils a litre in three and a half minutes.",
        5900,
        40,
    ),
    (
        "books",
        "The Pragmatic Programmer",
        "20th anniversary edition, hardcover.",
        4299,
        50,
    ),
    (
        "books",
        "Designing Data-Intensive Applications",
        "The big ideas behind reliable, scalable systems.",
        5499,
        40,
    ),
    (
        "books",
        "The Rust Programming Language",
        "The official book, second edition.",
        3995,
        65,
    ),
    (
        "books",
        "Site Reliability Engineering",
        "How Google runs production systems.",
        4799,
        30,
    ),
    (
        "books",
        "Thinking in Systems",
        "A primer on stocks, flows and feedback loops.",
        1999,
        45,
    ),
    (
        "books",
        "A Philosophy of Software Design",
        "Second edition, on managing complexity.",
        2799,
        55,
    ),
    (
        "apparel",
        "Merino Wool T-Shirt",
        "150 g/m² merino that does not hold odour.",
        6900,
        100,
    ),
    (
        "apparel",
        "Waterproof Rain Jacket",
        "3-layer shell with pit zips and a helmet hood.",
        18900,
        30,
    ),
    (
        "apparel",
        "Organic Cotton Hoodie",
        "Brushed fleece inside, 400 g/m².",
        7900,
        80,
    ),
    (
        "apparel",
        "Wool Hiking Socks, 2 Pairs",
        "Cushioned sole, seamless toe.",
        2600,
        250,
    ),
    (
        "apparel",
        "Canvas Work Trousers",
        "Double knees, gusseted crotch, 11 oz canvas.",
        8900,
        45,
    ),
    (
        "apparel",
        "Packable Down Vest",
        "Stuffs into its own pocket.",
        11900,
        25,
    ),
    (
        "audio",
        "Bookshelf Speakers, Pair",
        "Two-way passive speakers with 5-inch woofers.",
        29900,
        10,
    ),
    (
        "audio",
        "USB Condenser Microphone",
        "Cardioid, 24-bit/96 kHz, with a desk stand.",
        12900,
        28,
    ),
    (
        "audio",
        "Turntable with Built-in Preamp",
        "Belt-driven, 33 and 45 rpm, aluminium platter.",
        24900,
        9,
    ),
    (
        "audio",
        "Portable Bluetooth Speaker",
        "Waterproof, 20 hours of playback.",
        7900,
        60,
    ),
    (
        "audio",
        "In-Ear Monitors",
        "Dual drivers with detachable cables.",
        9900,
        40,
    ),
    (
        "audio",
        "Studio Headphone Stand",
        "Solid oak with a brass weight.",
        3900,
        35,
    ),
];

/// The fixed id of the `index`-th demo product.
pub fn product_id(index: usize) -> ProductId {
    // 2026-01-01T00:00:00Z plus the index in ms: stable, ordered, unique.
    let id = ulid::Ulid::from_parts(
        1_767_225_600_000 + index as u64,
        0x5EED_0000 + index as u128,
    );
    ProductId::parse(&id.to_string()).unwrap_or_else(ProductId::generate)
}

pub struct Seeded {
    pub created: usize,
    pub present: usize,
}

/// Writes every demo product that is not there yet.
pub async fn seed(table: &ProductsTable) -> Result<Seeded, Error> {
    let mut seeded = Seeded {
        created: 0,
        present: 0,
    };
    let now = Timestamp::now();
    for (index, (category, name, description, price, stock)) in CATALOG.iter().enumerate() {
        let field = |field: &'static str| {
            move |message: String| {
                Error::validation(field, format!("demo product {index}: {message}"))
            }
        };
        let product = NewProduct {
            name: ProductName::parse(name).map_err(field("name"))?,
            description: Description::parse(description).map_err(field("description"))?,
            price_cents: PriceCents::parse(*price).map_err(field("price_cents"))?,
            currency: Currency::Usd,
            stock: Stock::settable(*stock).map_err(field("stock"))?,
            category: Category::parse(category).map_err(field("category"))?,
        }
        .into_product(product_id(index), now);
        if table.create(&product).await? {
            seeded.created += 1;
        } else {
            seeded.present += 1;
        }
    }
    Ok(seeded)
}

/// The demo shop's shipping options: (id, name, amount in cents, free from
/// this subtotal). Both serve [`SHIPPING_COUNTRIES`].
pub const SHIPPING: &[(&str, &str, i64, Option<i64>)] = &[
    (
        "standard",
        "Standard (3 to 5 working days)",
        499,
        Some(5000),
    ),
    ("express", "Express (next working day)", 1499, None),
];

pub const SHIPPING_COUNTRIES: &[&str] = &[
    "US", "CA", "GB", "IE", "DE", "FR", "NL", "BE", "ES", "IT", "AT", "SE", "DK", "NO", "FI",
];

/// Writes every demo shipping option that is not there yet.
pub async fn seed_shipping(options: &shared::aws::ShippingOptions) -> Result<Seeded, Error> {
    use shared::domain::address::Country;
    use shared::domain::shipping::{self, ShippingName, ShippingOption, ShippingOptionId};
    let mut seeded = Seeded {
        created: 0,
        present: 0,
    };
    let countries = SHIPPING_COUNTRIES
        .iter()
        .map(|c| Country::parse(c).map_err(|m| Error::validation("countries", m)))
        .collect::<Result<Vec<_>, _>>()?;
    for (id, name, amount, free) in SHIPPING {
        let id = ShippingOptionId::parse(id).map_err(|m| Error::validation("id", m))?;
        if options.get(&id).await?.is_some() {
            seeded.present += 1;
            continue;
        }
        let option = ShippingOption {
            id,
            name: ShippingName::parse(name).map_err(|m| Error::validation("name", m))?,
            countries: countries.clone(),
            amount_cents: shipping::amount(*amount)
                .map_err(|m| Error::validation("amount_cents", m))?,
            free_over_cents: free
                .map(shipping::threshold)
                .transpose()
                .map_err(|m| Error::validation("free_over_cents", m))?,
            active: true,
        };
        match options.put(&option, None).await? {
            Ok(_) => seeded.created += 1,
            // Written meanwhile, or the shop's list is full: leave it.
            Err(_) => seeded.present += 1,
        }
    }
    Ok(seeded)
}
