//! An admin's product pages: creating a product, a stale edit refused with
//! 412 and fixed by reloading, stock through `stock_delta`, archiving.

use super::*;
use fantoccini::key::Key;

/// Waits until the input matching `css` holds `value`.
async fn wait_for_value(b: &Browser, css: &str, value: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let now = find(b, css).await.prop("value").await.expect("a value");
        if now.as_deref() == Some(value) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never held {value:?}: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn submit(b: &Browser, form: &str) {
    click(b, &format!("#{form} button[type=submit]")).await;
}

fn field_error(form: &str, field: &str) -> String {
    format!("#{form} [data-field={field}] .field-error")
}

async fn product(id: &str) -> Answer {
    let answer = get(&format!("/products/{id}"), None).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer
}

#[tokio::test]
async fn an_admin_creates_a_product_through_the_form() {
    // More than a page (20), so that "Load more" shows.
    let admin = admin_token().await;
    let first = get("/products?limit=21", None).await;
    for _ in first.body["items"].as_array().map_or(0, Vec::len)..21 {
        new_product(&admin, 1, 100).await;
    }
    let b = browser().await;
    sign_in_admin(&b).await;
    click(&b, "#account-nav a[href='/shop/admin/products']").await;
    wait_for_text(&b, "h1", "Products admin").await;
    let rows = "table.admin-products tbody tr";
    assert_eq!(wait_for_count(&b, rows, 20).await, 20);
    check_page(&b, "admin-products").await;
    click(&b, "#load-more").await;
    assert!(wait_for_count(&b, rows, 21).await > 20);

    click(&b, "#new-product-link").await;
    wait_for_text(&b, "h1", "New product").await;
    check_page(&b, "admin-new-product").await;

    // An empty name and a price that is not one: told at the fields, nothing sent.
    let category = unique("adm-");
    fill(&b, "#new-product input[name=category]", &category).await;
    fill(&b, "#new-product input[name=stock]", "12").await;
    fill(&b, "#new-product input[name=price]", "4.3.5").await;
    submit(&b, "new-product").await;
    wait_for_text(&b, &field_error("new-product", "name"), "Enter a name.").await;
    wait_for_text(
        &b,
        &field_error("new-product", "price_cents"),
        "Enter a price in dollars, like 12.50.",
    )
    .await;
    let mut invalid = Vec::new();
    for input in b
        .client
        .find_all(Locator::Css("#new-product [aria-invalid=true]"))
        .await
        .expect("query")
    {
        invalid.push(
            input
                .attr("name")
                .await
                .expect("a name")
                .unwrap_or_default(),
        );
    }
    assert_eq!(invalid, ["name", "price"], "only these are marked");
    screenshots(&b, "admin-new-product-errors").await;

    // 4.35 is 434.99999999999994 cents in floating point: it must be 435.
    let name = unique("Desk lamp ");
    fill(&b, "#new-product input[name=name]", &name).await;
    fill(
        &b,
        "#new-product textarea[name=description]",
        "Warm light, two brightness levels.",
    )
    .await;
    fill(&b, "#new-product input[name=price]", "4.35").await;
    // Enter in a field submits, as it would for someone on a keyboard.
    find(&b, "#new-product input[name=price]")
        .await
        .send_keys(&Key::Enter)
        .await
        .expect("Enter");
    wait_for_text(&b, "h1", &name).await;
    wait_for_text(&b, "p.notice", &format!("Created {name}.")).await;

    let listed = get(&format!("/products?category={category}"), None).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let items = listed.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{}", listed.text);
    let created = &items[0];
    assert_eq!(created["name"], name.as_str());
    assert_eq!(created["price_cents"], 435);
    assert_eq!(created["currency"], "USD");
    assert_eq!(created["stock"], 12);
    assert_eq!(created["description"], "Warm light, two brightness levels.");
    let id = created["id"].as_str().expect("an id");
    let url = b.client.current_url().await.expect("url");
    assert_eq!(url.path(), format!("/shop/admin/products/{id}"));
    wait_for_value(&b, "#edit-product input[name=price]", "4.35").await;
    assert_no_console_errors(&b, "creating a product").await;
}

#[tokio::test]
async fn a_stale_price_edit_is_refused_and_a_reload_fixes_it() {
    let admin = admin_token().await;
    let id = new_product(&admin, 3, 1000).await;
    let b = browser().await;
    sign_in_admin_at(&b, &format!("/shop/admin/products/{id}")).await;
    wait_for_value(&b, "#edit-product input[name=price]", "10.00").await;
    check_page(&b, "admin-product").await;

    // An order-like stock change meanwhile is no conflict with the form.
    let bumped = call(
        "PATCH",
        &format!("/products/{id}"),
        Some(&admin),
        Some(&json!({"stock_delta": 1})),
    )
    .await;
    assert_eq!(bumped.status, 200, "{}", bumped.text);
    fill(&b, "#edit-product input[name=price]", "10.50").await;
    submit(&b, "edit-product").await;
    wait_for_text(&b, "#edit-status", "Saved").await;
    assert_eq!(product(&id).await.body["price_cents"], 1050);
    assert_no_console_errors(&b, "a save over a stock change").await;

    // Someone else changes the price, with the version they read.
    let seen = product(&id).await;
    let etag = seen.header("etag").expect("an ETag").to_owned();
    let theirs = send(
        client()
            .patch(format!("{}/products/{id}", api()))
            .bearer_auth(&admin)
            .header("if-match", etag)
            .json(&json!({"price_cents": 1234})),
    )
    .await;
    assert_eq!(theirs.status, 200, "{}", theirs.text);

    fill(&b, "#edit-product input[name=price]", "11.00").await;
    submit(&b, "edit-product").await;
    wait_for_part(
        &b,
        "#edit-product .summary",
        "This product was changed by someone else after you opened it.",
    )
    .await;
    assert_eq!(
        product(&id).await.body["price_cents"],
        1234,
        "theirs was kept"
    );
    assert_no_console_errors(&b, "the stale edit").await;
    screenshots(&b, "admin-product-conflict").await;
    assert_accessible(&b, "the stale edit").await;

    click(&b, "#reload-product").await;
    wait_for_value(&b, "#edit-product input[name=price]", "12.34").await;
    wait_for_part(&b, "#edit-status", "Reloaded").await;
    assert!(
        texts(&b, "#edit-product .summary").await[0].is_empty(),
        "the conflict is cleared"
    );

    fill(&b, "#edit-product input[name=price]", "15.00").await;
    submit(&b, "edit-product").await;
    wait_for_text(&b, "#edit-status", "Saved").await;
    assert_eq!(product(&id).await.body["price_cents"], 1500);
    wait_for_value(&b, "#edit-product input[name=price]", "15.00").await;
    assert_no_console_errors(&b, "the saved edit").await;
}

#[tokio::test]
async fn an_admin_adjusts_stock_by_a_signed_change() {
    let admin = admin_token().await;
    let id = new_product(&admin, 4, 500).await;
    let b = browser().await;
    sign_in_admin_at(&b, &format!("/shop/admin/products/{id}")).await;
    wait_for_text(&b, "#stock-now", "In stock: 4").await;

    let delta = "#adjust-stock input[name=delta]";
    fill(&b, delta, "three").await;
    submit(&b, "adjust-stock").await;
    wait_for_part(
        &b,
        &field_error("adjust-stock", "stock_delta"),
        "like 10 or -3",
    )
    .await;

    fill(&b, delta, "+5").await;
    submit(&b, "adjust-stock").await;
    wait_for_text(&b, "#stock-now", "In stock: 9").await;
    assert_eq!(stock_of(&id).await, 9);
    check_page(&b, "admin-product-stock").await;

    // Below zero: refused next to the field, the stock as it was.
    fill(&b, delta, "-100").await;
    submit(&b, "adjust-stock").await;
    let said = wait_for_part(&b, &field_error("adjust-stock", "stock_delta"), "9").await;
    assert!(said.contains("in stock"), "{said}");
    assert_eq!(stock_of(&id).await, 9);
    wait_for_text(&b, "#stock-now", "In stock: 9").await;
    assert_no_console_errors(&b, "the refused stock change").await;

    // The edit form's version followed the page's own stock change.
    fill(&b, "#edit-product input[name=name]", "Renamed product").await;
    submit(&b, "edit-product").await;
    wait_for_text(&b, "#edit-status", "Saved").await;
    assert_eq!(product(&id).await.body["name"], "Renamed product");
    assert_no_console_errors(&b, "the rename after a stock change").await;
}

#[tokio::test]
async fn an_admin_archives_a_product_after_confirming_in_the_page() {
    let admin = admin_token().await;
    let id = new_product(&admin, 2, 700).await;
    let b = browser().await;
    sign_in_admin_at(&b, &format!("/shop/admin/products/{id}")).await;
    wait_for_text(&b, "h1", "Product").await;

    // "Keep it" keeps it.
    click(&b, "#archive-product").await;
    find(&b, "#archive-question").await;
    click(&b, "#archive-cancel").await;
    find(&b, "#archive-product").await;
    product(&id).await;

    // With the keyboard: the question takes the focus, Tab reaches "Yes".
    find(&b, "#archive-product")
        .await
        .send_keys(&Key::Enter)
        .await
        .expect("Enter");
    find(&b, "#archive-question").await;
    check_page(&b, "admin-archive-confirm").await;
    let focused = b.client.active_element().await.expect("a focus");
    assert_eq!(
        focused.attr("id").await.expect("id").as_deref(),
        Some("archive-question")
    );
    focused.send_keys(&Key::Tab).await.expect("Tab");
    let yes = b.client.active_element().await.expect("a focus");
    assert_eq!(
        yes.attr("id").await.expect("id").as_deref(),
        Some("archive-confirm")
    );
    yes.send_keys(&Key::Enter).await.expect("Enter");

    wait_for_text(&b, "h1", "Products admin").await;
    wait_for_text(&b, "p.notice", "Archived Product.").await;
    let gone = get(&format!("/products/{id}"), None).await;
    assert_eq!((gone.status, gone.code()), (404, "product_not_found"));
    wait_for_count(&b, "table.admin-products tbody tr", 1).await;
    let listed = b
        .client
        .find_all(Locator::Css(&format!("tr[data-product-id='{id}']")))
        .await
        .expect("query");
    assert!(listed.is_empty(), "the archived product is still listed");
    assert_no_console_errors(&b, "archiving").await;
}

#[tokio::test]
async fn an_admin_finds_a_paid_order_in_the_queue_and_opens_it() {
    let admin = admin_token().await;
    let product = new_product(&admin, 5, 1200).await;
    let (token, _) = customer().await;
    let paid = place_order(&token, &product, 2).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        pay(&token, &paid, "pm_card_visa", Some(&unique("aq-")))
            .await
            .status,
        201
    );
    let waiting = place_order(&token, &product, 1).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let b = browser().await;
    sign_in_admin(&b).await;
    click(&b, "#orders-admin-link").await;
    wait_for_text(&b, "h1", "Orders admin").await;
    // The queue opens on the paid orders waiting to ship, newest first.
    let row = |id: &str| format!("table.admin-orders tr[data-order-id='{id}']");
    wait_for_count(&b, &row(&paid), 1).await;
    assert!(texts(&b, &row(&waiting)).await.is_empty());
    let said = texts(&b, &row(&paid)).await.join(" ");
    assert!(
        said.contains("Paid") && said.contains("2 items") && said.contains("$24.00"),
        "{said}"
    );
    check_page(&b, "admin-orders").await;

    find(&b, "#queue")
        .await
        .select_by_value("pending_payment")
        .await
        .expect("the filter");
    click(&b, "#queue-filter button[type=submit]").await;
    wait_for_count(&b, &row(&waiting), 1).await;
    assert!(texts(&b, &row(&paid)).await.is_empty());

    click(&b, &format!("{} a", row(&waiting))).await;
    wait_for_text(&b, "h1", &format!("Order {waiting}")).await;
}

/// The admin ships a paid order from its page and later marks it
/// delivered; the buyer's own page shows the carrier, the tracking number
/// and the link.
#[tokio::test]
async fn an_admin_ships_an_order_and_the_buyer_sees_its_tracking() {
    let admin = admin_token().await;
    let PaidOrder {
        username: name,
        order_id: id,
        ..
    } = paid_order(&admin).await;

    let b = browser().await;
    sign_in_admin(&b).await;
    open(&b, &format!("/shop/orders/{id}")).await;
    wait_for_text(&b, "#order-status", "Paid").await;
    // A link that is not https is refused at its field; nothing ships.
    fill(&b, "#ship [name=carrier]", "DHL").await;
    fill(&b, "#ship [name=tracking_number]", "JD0146 0000 6281").await;
    fill(&b, "#ship [name=tracking_url]", "http://dhl.example/JD0146").await;
    click(&b, "#ship button[type=submit]").await;
    wait_for_part(
        &b,
        "#ship [data-field=tracking_url] .field-error",
        "https://",
    )
    .await;
    check_page(&b, "admin-ship-refused").await;
    fill(
        &b,
        "#ship [name=tracking_url]",
        "https://www.dhl.com/track?id=JD0146",
    )
    .await;
    click(&b, "#ship button[type=submit]").await;
    wait_for_text(&b, "#order-status", "Shipped").await;
    wait_for_part(&b, "#tracking-number", "JD0146 0000 6281").await;
    check_page(&b, "admin-shipped").await;
    click(&b, "#deliver button[type=submit]").await;
    wait_for_text(&b, "#order-status", "Delivered").await;

    let buyer = browser().await;
    open(&buyer, "/").await;
    sign_in(&buyer, &name, PASSWORD).await;
    open(&buyer, &format!("/shop/orders/{id}")).await;
    wait_for_text(&buyer, "#order-status", "Delivered").await;
    let said = texts(&buyer, "#delivery").await.join(" ");
    assert!(
        said.contains("DHL") && said.contains("JD0146 0000 6281"),
        "{said}"
    );
    let link = find(&buyer, "#tracking-link")
        .await
        .attr("href")
        .await
        .unwrap();
    assert_eq!(link.as_deref(), Some("https://www.dhl.com/track?id=JD0146"));
    assert!(
        texts(&buyer, "#ship, #deliver").await.is_empty(),
        "no admin controls for a buyer"
    );
    check_page(&buyer, "order-delivered").await;
}

/// The admin refunds part of a paid order from its page, putting its unit
/// back in stock (an amount past the payment is refused in the form); the
/// buyer sees the refund, cancels the order and gets the rest back.
#[tokio::test]
async fn an_admin_refunds_part_of_an_order_and_the_buyer_cancels_the_rest() {
    let admin = admin_token().await;
    let PaidOrder {
        username: name,
        order_id: id,
        ..
    } = paid_order(&admin).await;

    let b = browser().await;
    sign_in_admin(&b).await;
    open(&b, &format!("/shop/orders/{id}")).await;
    wait_for_text(&b, "#order-status", "Paid").await;
    fill(&b, "#refund [name=amount]", "9.01").await;
    click(&b, "#refund button[type=submit]").await;
    wait_for_part(&b, "#refund .summary", "left to refund").await;
    fill(&b, "#refund [name=amount]", "3.00").await;
    find(&b, "#refund [name=reason]")
        .await
        .select_by_value("damaged")
        .await
        .expect("the reason");
    fill(&b, "#refund [name=restock_0]", "1").await;
    click(&b, "#refund button[type=submit]").await;
    wait_for_part(&b, "#refunded", "$3.00").await;
    check_page(&b, "admin-refunded").await;

    let buyer = browser().await;
    open(&buyer, "/").await;
    sign_in(&buyer, &name, PASSWORD).await;
    open(&buyer, &format!("/shop/orders/{id}")).await;
    wait_for_part(&buyer, "#refunded", "Partly refunded").await;
    assert!(
        texts(&buyer, "#refund").await.is_empty(),
        "no refund form for a buyer"
    );
    click(&buyer, "button.cancel").await;
    wait_for_text(&buyer, "#order-status", "Cancelled").await;
    wait_for_part(&buyer, "#refunded", "Refunded in full: $9.00").await;
    check_page(&buyer, "order-cancelled-refunded").await;
}

/// The admin adds a shipping option on the shipping page, changes its
/// price from the list, and deletes it.
#[tokio::test]
async fn an_admin_adds_changes_and_deletes_a_shipping_option() {
    let id = unique("parcel-");
    let b = browser().await;
    sign_in_admin(&b).await;
    click(&b, "#shipping-admin-link").await;
    wait_for_text(&b, "h1", "Shipping options").await;
    wait_for_count(&b, "tr[data-option-id=standard]", 1).await;
    fill(&b, "#shipping-option [name=id]", &id).await;
    fill(&b, "#shipping-option [name=name]", "Parcel locker").await;
    fill(&b, "#shipping-option [name=countries]", "us, ca, XX").await;
    fill(&b, "#shipping-option [name=amount]", "2.50").await;
    click(&b, "#shipping-option button[type=submit]").await;
    // XX is no country: refused at its field, nothing saved.
    wait_for_part(&b, "#shipping-option .summary", "ISO 3166-1").await;
    check_page(&b, "admin-shipping-refused").await;
    fill(&b, "#shipping-option [name=countries]", "us, ca").await;
    click(&b, "#shipping-option button[type=submit]").await;
    let row = format!("tr[data-option-id={id}]");
    wait_for_count(&b, &row, 1).await;
    wait_for_part(&b, &row, "$2.50").await;
    check_page(&b, "admin-shipping").await;

    click(&b, &format!("{row} button.link")).await;
    fill(&b, "#shipping-option [name=amount]", "3.75").await;
    fill(&b, "#shipping-option [name=free_over]", "40").await;
    click(&b, "#shipping-option button[type=submit]").await;
    wait_for_part(&b, &row, "$3.75").await;
    wait_for_part(&b, &row, "free from $40.00").await;

    click(&b, &format!("{row} button.secondary")).await;
    let deadline = Instant::now() + WAIT;
    while !b
        .client
        .find_all(Locator::Css(&row))
        .await
        .expect(&row)
        .is_empty()
    {
        assert!(Instant::now() < deadline, "{row} is still listed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
