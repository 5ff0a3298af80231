//! Buying: the cart, signing up inline, placing the order, paying, the
//! confirmation and its mail, cancelling; a double click, a short line and
//! a whole checkout with the keyboard alone.

use super::*;
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};

/// A product with a name of its own, in a category of its own.
async fn product(admin: &str, name: &str, stock: i64, price_cents: i64) -> String {
    let body = json!({"name": name, "price_cents": price_cents, "currency": "USD",
                      "stock": stock, "category": unique("p-")});
    let answer = call("POST", "/products", Some(admin), Some(&body)).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["id"].as_str().expect("an id").to_owned()
}

/// Adds `quantity` of a product from its page.
async fn add_from_page(b: &Browser, id: &str, quantity: i64) {
    open(b, &format!("/shop/products/{id}")).await;
    fill(b, ".product input[name=quantity]", &quantity.to_string()).await;
    click(b, ".product button.add").await;
    wait_for_part(b, ".product .added", "Added to the cart").await;
}

/// The cart page with the products added, signed up and ready to order.
async fn ready_to_order(b: &Browser) -> (String, String) {
    click(b, "#cart-link").await;
    let who = sign_up(b).await;
    find(b, "#place-order").await;
    fill_delivery(b).await;
    who
}

/// The order the page shows, from its URL.
async fn shown_order(b: &Browser) -> String {
    find(b, "#order-status").await;
    let url = b.client.current_url().await.expect("url");
    url.path()
        .strip_prefix("/shop/orders/")
        .unwrap_or_else(|| panic!("not an order page: {url}"))
        .to_owned()
}

async fn orders_of(token: &str) -> Vec<Value> {
    let answer = get("/orders", Some(token)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_shopper_buys_two_products_pays_with_visa_and_gets_one_mail() {
    let admin = admin_token().await;
    let lamp = product(&admin, "Desk lamp", 5, 1200).await;
    let mug = product(&admin, "Tea mug", 3, 750).await;
    let b = browser().await;
    add_from_page(&b, &lamp, 2).await;
    add_from_page(&b, &mug, 1).await;
    wait_for_text(&b, "#cart-link", "Cart (3)").await;

    click(&b, "#cart-link").await;
    wait_for_count(&b, "table.lines tbody tr", 2).await;
    wait_for_text(&b, "#subtotal", "$31.50").await;
    // A refused sign-up shows the API's message at the field it names.
    fill(&b, "#sign-up input[name=username]", &unique("s")).await;
    fill(&b, "#sign-up input[name=email]", "not-an-address").await;
    fill(&b, "#sign-up input[name=password]", "short").await;
    click(&b, "#sign-up button[type=submit]").await;
    wait_for_shown(&b, "#sign-up [data-field=password] .field-error").await;
    wait_for_shown(&b, "#sign-up [data-field=email] .field-error").await;
    wait_for_part(&b, "#sign-up .request-id", "Request id: ").await;
    check_page(&b, "cart").await;

    let (name, email) = sign_up(&b).await;
    fill_delivery(&b).await;
    check_page(&b, "checkout").await;
    click(&b, "#place-order").await;
    let order_id = shown_order(&b).await;
    wait_for_text(&b, "#order-status", "Waiting for payment").await;
    wait_for_part(&b, "#order-total", "$31.50").await;
    check_page(&b, "order-pending").await;

    let visa = find(&b, "#card-pm_card_visa").await;
    assert!(
        visa.is_selected().await.expect("selected"),
        "visa is the default"
    );
    click(&b, "#pay").await;
    wait_for_text(&b, "#order-status", "Paid").await;
    wait_for_part(&b, "#payment-card", "Visa ending 4242").await;
    wait_for_part(&b, "#mail-status", ": sent").await;
    check_page(&b, "order-paid").await;
    wait_for_text(&b, "#cart-link", "Cart").await;

    // What the API stored: one paid order of the right lines and one mail.
    let token = login(&name).await;
    let orders = orders_of(&token).await;
    assert_eq!(orders.len(), 1, "{orders:#?}");
    let order = &orders[0];
    assert_eq!(order["id"], order_id.as_str());
    assert_eq!(order["status"], "paid");
    assert_eq!(order["total_cents"], 3150);
    assert_eq!((stock_of(&lamp).await, stock_of(&mug).await), (3, 2));
    assert_eq!(wait_for_mails_about(&email, CONFIRMED, 1).await.len(), 1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        mails_about(&email, CONFIRMED).await.len(),
        1,
        "exactly one mail"
    );
}

/// A new shopper, signed up inline, who placed an order of one new product
/// and sees its payment page: the shopper's name and the order's id.
async fn ordered_one(b: &Browser, product_name: &str, price_cents: i64) -> (String, String) {
    let admin = admin_token().await;
    let id = product(&admin, product_name, 4, price_cents).await;
    add_from_page(b, &id, 1).await;
    let (name, _) = ready_to_order(b).await;
    click(b, "#place-order").await;
    (name, shown_order(b).await)
}

#[tokio::test]
async fn a_declined_card_shows_its_message_and_visa_then_pays() {
    let b = browser().await;
    let (name, order_id) = ordered_one(&b, "Notebook", 500).await;

    click(&b, "#card-pm_card_chargeDeclined").await;
    click(&b, "#pay").await;
    let message = wait_for_part(&b, "#card-error", "declined").await;
    wait_for_part(&b, "#payment .request-id", "Request id: ").await;
    check_page(&b, "payment-declined").await;
    let token = login(&name).await;
    assert_eq!(
        order_of(&token, &order_id).await["status"],
        "pending_payment",
        "{message}"
    );

    click(&b, "#card-pm_card_visa").await;
    click(&b, "#pay").await;
    wait_for_text(&b, "#order-status", "Paid").await;
    assert_eq!(order_of(&token, &order_id).await["status"], "paid");
}

/// Card testing as a shopper meets it: five declined cards, then the form
/// says how long to wait instead of charging, whatever the card.
#[tokio::test]
async fn after_five_declines_the_payment_form_says_how_long_to_wait() {
    let b = browser().await;
    let (name, order_id) = ordered_one(&b, "Stapler", 700).await;

    click(&b, "#card-pm_card_chargeDeclined").await;
    let mut seen = String::new();
    for _ in 0..5 {
        click(&b, "#pay").await;
        // Each answer has a request id of its own: wait for the new one.
        seen = loop {
            let now = texts(&b, "#payment .request-id").await.join("");
            if !now.is_empty() && now != seen && !texts(&b, "#card-error").await.join("").is_empty()
            {
                break now;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let said = texts(&b, "#card-error").await.join("");
        assert!(said.contains("declined"), "{said}");
    }
    click(&b, "#card-pm_card_visa").await;
    click(&b, "#pay").await;
    let said = wait_for_part(&b, "#card-error", "Try again in").await;
    assert!(
        said.contains("Too many declined payments") && said.contains("minutes"),
        "{said}"
    );
    check_page(&b, "payment-too-many-declines").await;
    let token = login(&name).await;
    assert_eq!(
        order_of(&token, &order_id).await["status"],
        "pending_payment"
    );
}

#[tokio::test]
async fn a_double_click_on_place_order_makes_one_order() {
    let admin = admin_token().await;
    let id = product(&admin, "Pencil case", 10, 300).await;
    let b = browser().await;
    add_from_page(&b, &id, 2).await;
    let (name, _) = ready_to_order(&b).await;
    let key = b
        .client
        .execute(
            "return JSON.parse(localStorage.getItem('ferrocart.cart')).key;",
            vec![],
        )
        .await
        .expect("the cart's key");
    let button = find(&b, "#place-order").await;
    let double_click = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: button,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    b.client
        .perform_actions(double_click)
        .await
        .expect("a double click");
    let order_id = shown_order(&b).await;

    // The same cart version placed again (a reload, a second tab) replays it.
    let token = login(&name).await;
    let again = send(
        client()
            .post(format!("{}/cart/checkout", api()))
            .bearer_auth(&token)
            .header("idempotency-key", key.as_str().expect("a key"))
            .header("content-type", "application/json")
            // The page's body, byte for byte: the key is bound to it. The
            // cart is at version 1: the sign-up put its one line there.
            .body(format!(
                r#"{{"cart_version":1,"shipping_option_id":"{TEST_SHIPPING}","shipping_address":{{"name":"Ada Lovelace","line1":"350 Fifth Avenue","line2":"","city":"New York","region":"","postal_code":"10118","country":"US","phone":null}}}}"#
            )),
    )
    .await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.body["id"], order_id.as_str());
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(orders_of(&token).await.len(), 1);
    assert_eq!(stock_of(&id).await, 8, "stock taken once");
}

#[tokio::test]
async fn the_last_unit_bought_elsewhere_marks_the_line_short() {
    let admin = admin_token().await;
    let id = product(&admin, "Last one", 1, 4000).await;
    let b = browser().await;
    add_from_page(&b, &id, 1).await;
    let (name, _) = ready_to_order(&b).await;

    let (other, _) = customer().await;
    assert_eq!(place_order(&other, &id, 1).await.status, 201);
    click(&b, "#place-order").await;
    wait_for_count(&b, "tr.short", 1).await;
    wait_for_part(&b, "tr.short .short-note", "Sold out").await;
    wait_for_shown(&b, ".checkout .problem").await;
    assert!(
        b.client
            .find_all(Locator::Css("#place-order"))
            .await
            .expect("query")
            .is_empty()
    );
    check_page(&b, "cart-short").await;
    assert!(orders_of(&login(&name).await).await.is_empty());
}

#[tokio::test]
async fn cancelling_a_pending_order_gives_the_stock_back() {
    let admin = admin_token().await;
    let id = product(&admin, "Travel kettle", 4, 2900).await;
    let b = browser().await;
    add_from_page(&b, &id, 3).await;
    ready_to_order(&b).await;
    click(&b, "#place-order").await;
    let order_id = shown_order(&b).await;
    assert_eq!(stock_of(&id).await, 1);
    find(&b, "#expires-in").await;

    // From "My orders", where the pending order shows its countdown.
    click(&b, "a[href='/shop/orders']").await;
    let row = format!("li[data-order-id='{order_id}']");
    wait_for_part(&b, &row, "Waiting for payment").await;
    wait_for_part(&b, &format!("{row} .expiry"), "expires in").await;
    check_page(&b, "my-orders").await;
    click(&b, &format!("{row} button.cancel")).await;
    wait_for_part(&b, &row, "Cancelled").await;
    assert_eq!(stock_of(&id).await, 4, "the stock is back");
}

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// Presses Tab until the focus is on `css`, as a keyboard user would.
async fn tab_to(b: &Browser, css: &str) {
    for _ in 0..80 {
        let here = b
            .client
            .execute(
                "return document.activeElement.matches(arguments[0]);",
                vec![json!(css)],
            )
            .await
            .expect("the focus");
        if here == json!(true) {
            return;
        }
        b.client
            .active_element()
            .await
            .expect("focus")
            .send_keys(TAB)
            .await
            .expect("Tab");
    }
    panic!("Tab never reached {css}");
}

/// Tabs to `css` and presses a key there (Enter on a button, text into an input).
async fn keys_at(b: &Browser, css: &str, keys: &str) {
    tab_to(b, css).await;
    b.client
        .active_element()
        .await
        .expect("focus")
        .send_keys(keys)
        .await
        .expect("keys");
}

#[tokio::test]
async fn a_whole_checkout_with_the_keyboard_alone() {
    let admin = admin_token().await;
    let id = product(&admin, "Keyboard cover", 6, 1500).await;
    let b = browser().await;
    open(&b, &format!("/shop/products/{id}")).await;
    find(&b, ".product button.add").await;
    keys_at(&b, ".product button.add", ENTER).await;
    wait_for_text(&b, "#cart-link", "Cart (1)").await;
    keys_at(&b, "#cart-link", ENTER).await;
    find(&b, "#sign-up").await;
    let name = unique("keys");
    keys_at(&b, "#sign-up input[name=username]", &name).await;
    keys_at(
        &b,
        "#sign-up input[name=email]",
        &format!("{name}@example.com"),
    )
    .await;
    keys_at(
        &b,
        "#sign-up input[name=password]",
        &format!("{PASSWORD}{ENTER}"),
    )
    .await;
    find(&b, "#place-order").await;
    keys_at(&b, "#checkout [name=name]", "Ada Lovelace").await;
    keys_at(&b, "#checkout [name=line1]", "350 Fifth Avenue").await;
    keys_at(&b, "#checkout [name=city]", "New York").await;
    keys_at(&b, "#checkout [name=postal_code]", "10118").await;
    wait_for_count(&b, "#checkout [name=shipping_option_id] option", 1).await;
    keys_at(&b, "#place-order", ENTER).await;
    let order_id = shown_order(&b).await;
    find(&b, "#pay").await;
    keys_at(&b, "#pay", ENTER).await;
    wait_for_text(&b, "#order-status", "Paid").await;
    assert_eq!(
        order_of(&login(&name).await, &order_id).await["status"],
        "paid"
    );
}

/// A signed-out cart joins the account's own on sign-in, quantities added;
/// the same shopper in another browser sees that cart; placing the order
/// empties it, and signing out leaves no lines in the browser.
#[tokio::test]
async fn a_signed_out_cart_joins_the_accounts_cart_on_sign_in() {
    let admin = admin_token().await;
    let lamp = product(&admin, "Reading lamp", 20, 1500).await;
    let mug = product(&admin, "Espresso mug", 20, 400).await;
    let (name, _) = register().await;
    let token = login(&name).await;
    // What the account left in its cart on another device.
    for (id, quantity) in [(&lamp, 1), (&mug, 2)] {
        let put = call(
            "PUT",
            &format!("/cart/items/{id}"),
            Some(&token),
            Some(&json!({ "quantity": quantity })),
        )
        .await;
        assert_eq!(put.status, 200, "{}", put.text);
    }

    let b = browser().await;
    add_from_page(&b, &lamp, 2).await;
    wait_for_text(&b, "#cart-link", "Cart (2)").await;
    sign_in(&b, &name, PASSWORD).await;
    wait_for_text(&b, "#cart-link", "Cart (5)").await;
    let held = get("/cart", Some(&token)).await;
    let quantities: Vec<(String, i64)> = held.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["product_id"].as_str().unwrap().to_owned(),
                l["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        quantities,
        vec![(lamp.clone(), 3), (mug.clone(), 2)],
        "{}",
        held.text
    );
    click(&b, "#cart-link").await;
    wait_for_count(&b, "table.lines tbody tr", 2).await;
    wait_for_text(&b, "#subtotal", "$53.00").await;
    fill_delivery(&b).await;
    check_page(&b, "cart-merged").await;

    let other = browser().await;
    open(&other, "/").await;
    sign_in(&other, &name, PASSWORD).await;
    wait_for_text(&other, "#cart-link", "Cart (5)").await;

    click(&b, "#place-order").await;
    shown_order(&b).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = get("/cart", Some(&token)).await;
        if now.body["items"].as_array().is_some_and(|i| i.is_empty()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the cart stays: {}",
            now.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    click(&b, "#sign-out").await;
    wait_for_text(&b, "#cart-link", "Cart").await;
}
