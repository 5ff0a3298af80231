//! Browsing: the catalogue, its filter and "load more", a product's page,
//! hostile names, unknown pages.

use super::*;

#[tokio::test]
async fn a_shopper_browses_the_catalogue_by_category_and_loads_more() {
    let b = browser().await;
    b.client
        .goto(&format!("{}/", api()))
        .await
        .expect("the shop");
    assert_eq!(
        wait_for_count(&b, "li.card", 12).await,
        12,
        "a first page of 12"
    );
    check_page(&b, "catalogue").await;
    b.client
        .find(Locator::Id("load-more"))
        .await
        .expect("a Load more button")
        .click()
        .await
        .expect("click");
    assert!(wait_for_count(&b, "li.card", 13).await > 12);

    // The category filter, with the keyboard: the page shows what the API lists.
    let select = b
        .client
        .find(Locator::Id("category"))
        .await
        .expect("the filter");
    select.select_by_value("books").await.expect("choose books");
    wait_for_text(&b, "h1", "Catalogue: books").await;
    let listed = get("/products?category=books&limit=12", None).await;
    let expected: Vec<String> = listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    wait_for_count(&b, "li.card", expected.len()).await;
    assert_eq!(texts(&b, "li.card h2").await, expected);
    // The demo catalogue's own category alone: README's screenshots come from here.
    screenshots(&b, "catalogue-books").await;
    assert!(
        b.client
            .current_url()
            .await
            .expect("url")
            .as_str()
            .ends_with("/?category=books")
    );
    assert_no_console_errors(&b, "the catalogue").await;
}

#[tokio::test]
async fn a_product_page_shows_its_stock_and_a_sold_out_one_says_so() {
    let admin = admin_token().await;
    let in_stock = new_product(&admin, 7, 2500).await;
    let sold_out = new_product(&admin, 0, 900).await;
    let b = browser().await;

    b.client
        .goto(&format!("{}/shop/products/{in_stock}", api()))
        .await
        .expect("a product page");
    wait_for_text(&b, "h1", "Product").await;
    wait_for_text(&b, ".product .stock", "7 in stock").await;
    wait_for_text(&b, ".product .price", "$25.00").await;
    check_page(&b, "product").await;

    b.client
        .goto(&format!("{}/shop/products/{sold_out}", api()))
        .await
        .expect("a product page");
    wait_for_text(&b, ".product .sold-out", "Sold out").await;

    // From the catalogue, a product's link opens its page without a reload.
    b.client
        .goto(&format!("{}/", api()))
        .await
        .expect("the shop");
    wait_for_count(&b, "li.card h2 a", 1).await;
    let first = b
        .client
        .find(Locator::Css("li.card h2 a"))
        .await
        .expect("a link");
    let name = first.text().await.expect("a name");
    first.click().await.expect("open it");
    wait_for_text(&b, "h1", &name).await;
    assert!(
        b.client
            .current_url()
            .await
            .expect("url")
            .path()
            .starts_with("/shop/products/")
    );
    assert_no_console_errors(&b, "the product pages").await;
}

#[tokio::test]
async fn a_hostile_product_name_is_shown_as_text() {
    let admin = admin_token().await;
    let name = "<img src=x onerror=\"document.title='owned'\">";
    let body = json!({"name": name, "price_cents": 100, "currency": "USD", "stock": 1, "category": unique("p-")});
    let created = call("POST", "/products", Some(&admin), Some(&body)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().expect("an id");
    let b = browser().await;
    b.client
        .goto(&format!("{}/shop/products/{id}", api()))
        .await
        .expect("its page");
    wait_for_text(&b, "h1", name).await;
    let injected = b
        .client
        .find_all(Locator::Css("img[src='x']"))
        .await
        .expect("query");
    assert!(injected.is_empty(), "the name became markup");
    assert_ne!(b.client.title().await.expect("title"), "owned");
}

#[tokio::test]
async fn unknown_pages_show_not_found_and_unknown_assets_are_404() {
    let b = browser().await;
    b.client
        .goto(&format!("{}/shop/no/such/page", api()))
        .await
        .expect("a page");
    wait_for_text(&b, "h1", "This page is not in the shop").await;
    check_page(&b, "not-found").await;
    assert_no_console_errors(&b, "the not-found view").await;
    let asset = get("/assets/app.0000000000.js", None).await;
    assert_eq!((asset.status, asset.code()), (404, "route_not_found"));
}
