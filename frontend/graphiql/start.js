// Starts GraphiQL at GET /graphql. React and GraphiQL's standalone build are loaded before this file, all from this
// server (no CDN, no inline script). Queries go to POST /graphql, subscriptions to the graphql-ws endpoint
// /graphql/ws. A reporting token goes in the Headers tab: {"authorization": "Bearer pdr_..."}.
(() => {
  const url = new URL("/graphql", window.location.origin);
  const ws = new URL("/graphql/ws", window.location.origin);
  ws.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const fetcher = GraphiQL.createFetcher({
    url: url.toString(),
    subscriptionUrl: ws.toString(),
    fetch: (input, init = {}) => fetch(input, { ...init, credentials: "same-origin" }),
  });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }),
  );
})();
