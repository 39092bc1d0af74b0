//! A client-side check: a query document written against the checked-in `schema.graphql`
//! compiles with graphql_client and runs against the server.

use graphql_client::{GraphQLQuery, Response};

use crate::helpers::spawn_app;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "schema.graphql",
    query_path = "tests/integration/queries/user_card.graphql",
    response_derives = "Debug"
)]
struct UserCard;

#[tokio::test]
async fn a_typed_client_query_runs_against_the_server() {
    let app = spawn_app().await;
    let body = UserCard::build_query(user_card::Variables { login: "octocat".to_owned() });

    let response: Response<user_card::ResponseData> =
        app.client.post(format!("{}/graphql", app.address)).json(&body).send().await.unwrap().json().await.unwrap();

    assert!(response.errors.is_none(), "{:?}", response.errors);
    let user = response.data.unwrap().user;
    assert_eq!(user.login, "octocat");
    assert_eq!((user.stats.stars, user.stats.forks, user.stats.repositories), (2300, 420, 3));
    assert_eq!(user.languages.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["Rust", "TypeScript", "Shell"]);
    assert!(!user.rank.level.is_empty());
}
