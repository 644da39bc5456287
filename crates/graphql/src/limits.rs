//! What one GraphQL document may cost, checked before async-graphql validates or runs it, in time linear in its size.
//!
//! async-graphql's own depth and complexity checks walk fragment spreads expanded (a document of 30 fragments that
//! each spread the next one twice costs 2^30 steps before anything is refused), and its depth limit counts the
//! introspection fields that every GraphQL tool sends. [`QueryLimits`] instead reads the source once (size, tokens,
//! bracket nesting), parses it, and sums each fragment's cost once however often it is spread. Introspection
//! (`__schema`, `__type`) has its own depth limit and counts toward the same field, alias and directive budgets, so it
//! is not a way around them. Every refusal carries `extensions.code` (`QUERY_TOO_LARGE`, `QUERY_TOO_DEEP`,
//! `QUERY_TOO_COMPLEX`), the limit's name, the limit and the document's figure; and every other error that leaves
//! the schema without a code gets one (`GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`, `VALIDATION`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest, NextRequest,
    NextValidation,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Pos, Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables};

/// The limits one document is held to. [`Limits::default`] is what the server uses.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of the document's source.
    pub max_bytes: usize,
    /// Lexical tokens of the document (names, punctuation, values).
    pub max_tokens: usize,
    /// Brackets (`{`, `(`, `[`) open at once: bounds the parser's recursion.
    pub max_nesting: usize,
    /// Fields nested in fields, outside introspection.
    pub max_depth: usize,
    /// Fields nested in fields from `__schema` or `__type` down (graphql-js 16's introspection query needs 15).
    pub max_introspection_depth: usize,
    /// Fields selected, every fragment spread counted with its expansion: the document's cost.
    pub max_fields: u64,
    /// Aliased fields, expanded as fields are.
    pub max_aliases: u64,
    /// Directives, expanded as fields are.
    pub max_directives: u64,
    /// Fragment definitions.
    pub max_fragments: usize,
    /// Running time of a query (mutations run to the end: stopping one half-way would leave its work half done).
    pub query_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 32 * 1024,
            max_tokens: 5_000,
            max_nesting: 40,
            max_depth: 12,
            max_introspection_depth: 20,
            max_fields: 2_000,
            max_aliases: 200,
            max_directives: 100,
            max_fragments: 100,
            query_timeout: Duration::from_secs(15),
        }
    }
}

/// async-graphql's limit on selection sets and fragment spreads nested in each other (its default, set explicitly).
pub const RECURSION_LIMIT: usize = 32;

pub const QUERY_TOO_LARGE: &str = "QUERY_TOO_LARGE";
pub const QUERY_TOO_DEEP: &str = "QUERY_TOO_DEEP";
pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
pub const QUERY_TIMEOUT: &str = "QUERY_TIMEOUT";
pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// The extension that applies [`Limits`] and gives every error a code.
pub struct QueryLimits(pub Limits);

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            limits: self.0,
            is_query: Mutex::new(false),
            arguments: Mutex::new(Vec::new()),
            cost: Mutex::new(None),
        })
    }
}

struct LimitsExtension {
    limits: Limits,
    /// The request's operation is a query (it gets the time limit).
    is_query: Mutex<bool>,
    /// Where each argument's value starts in the document, and the argument's name: an argument that fails to parse
    /// at run time is reported at its value's position, and this names it.
    arguments: Mutex<Vec<(Pos, String)>>,
    /// The fields the document selects, fragments expanded: returned as `extensions.cost`.
    cost: Mutex<Option<u64>>,
}

#[async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        let arguments = self.arguments.lock().map(|a| a.clone()).unwrap_or_default();
        for error in &mut response.errors {
            give_code(error, &arguments);
        }
        // What this document cost against the limit, so a reporting client can plan (as Shopify's API tells).
        if let Some(requested) = self.cost.lock().ok().and_then(|c| *c) {
            let cost = [("requested", requested), ("limit", self.limits.max_fields)]
                .into_iter()
                .map(|(k, v)| (async_graphql::Name::new(k), Value::from(v)))
                .collect();
            response.extensions.insert("cost".to_owned(), Value::Object(cost));
        }
        response
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let (doc, cost) = check_and_cost(&self.limits, &request.query)?;
        if let Ok(mut c) = self.cost.lock() {
            *c = Some(cost);
        }
        if let Ok(mut is_query) = self.is_query.lock() {
            *is_query = selected_operation(&doc, request.operation_name.as_deref()) == Some(OperationType::Query);
        }
        if let Ok(mut arguments) = self.arguments.lock() {
            *arguments = argument_positions(&doc);
        }
        request.set_parsed_query(doc);
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // The document was parsed in `prepare_request`; what fails here is async-graphql's own floor under fragment
        // chains (a spread inside a spread inside ..., 32 deep), which our costing does not count as depth.
        next.run(ctx, query, variables).await.map_err(|mut e| {
            if e.message.starts_with("The recursion depth") && !has_code(&e) {
                let ext = e.extensions.get_or_insert_with(Default::default);
                ext.set("code", QUERY_TOO_DEEP);
                ext.set("limit", "recursion");
                ext.set("max", RECURSION_LIMIT as u64);
            }
            with_code(e, GRAPHQL_PARSE_FAILED)
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| errors.into_iter().map(validation_code).collect())
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let is_query = self.is_query.lock().map(|q| *q).unwrap_or(false);
        if !is_query {
            return next.run(ctx, operation_name).await;
        }
        let limit = self.limits.query_timeout;
        match tokio::time::timeout(limit, next.run(ctx, operation_name)).await {
            Ok(response) => response,
            Err(_) => {
                let ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
                tracing::warn!(limit_ms = ms, "query stopped at its time limit");
                let mut e = ServerError::new(
                    format!("The query ran longer than the limit of {ms} ms and was stopped. Ask for less."),
                    None,
                );
                let ext = e.extensions.get_or_insert_with(Default::default);
                ext.set("code", QUERY_TIMEOUT);
                ext.set("limit", "timeMs");
                ext.set("max", ms);
                Response::from_errors(vec![e])
            }
        }
    }
}

fn selected_operation(doc: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
        _ => None,
    }
}

fn has_code(e: &ServerError) -> bool {
    e.extensions.as_ref().is_some_and(|x| x.get("code").is_some())
}

fn with_code(mut e: ServerError, code: &str) -> ServerError {
    if !has_code(&e) {
        e.extensions.get_or_insert_with(Default::default).set("code", code);
    }
    e
}

/// A validation error: a bad argument value is the caller's `VALIDATION` of that argument (`field`: its path, e.g.
/// `input.timeZone`); anything else (unknown field, undeclared variable, ...) is `GRAPHQL_VALIDATION_FAILED`.
fn validation_code(mut e: ServerError) -> ServerError {
    if has_code(&e) {
        return e;
    }
    if let Some(rest) = e.message.strip_prefix("Invalid value for argument \"") {
        let field = rest.split('"').next().unwrap_or_default().to_owned();
        let ext = e.extensions.get_or_insert_with(Default::default);
        ext.set("code", "VALIDATION");
        ext.set("field", field);
        return e;
    }
    with_code(e, GRAPHQL_VALIDATION_FAILED)
}

/// The last word on an error without a code. Resolvers give their own; what reaches here comes from async-graphql:
/// an argument that failed to parse at run time (`Failed to parse "Decimal": ...`, or a variable left out where a
/// non-null input is expected: `Expected input type "CapInput", found null.`) is the caller's `VALIDATION`;
/// request-level problems without a path (no such operation name, a subscription over HTTP) are
/// `GRAPHQL_VALIDATION_FAILED`; anything else is ours, `INTERNAL`.
fn give_code(e: &mut ServerError, arguments: &[(Pos, String)]) {
    if has_code(e) {
        return;
    }
    let argument = e.locations.first().and_then(|at| arguments.iter().find(|(p, _)| p == at)).map(|(_, n)| n);
    let ext = e.extensions.get_or_insert_with(Default::default);
    let coercion = e.message.starts_with("Failed to parse \"")
        || e.message.starts_with("Expected input type \"")
        || e.message.starts_with("Invalid value for argument")
        || (e.message.starts_with("Variable ") && e.message.ends_with(" is not defined."));
    if coercion {
        ext.set("code", "VALIDATION");
        match (argument, e.path.last()) {
            (Some(name), _) => ext.set("field", name.as_str()),
            (None, Some(field)) => ext.set("field", path_segment(field)),
            (None, None) => {}
        }
    } else if e.path.is_empty() {
        ext.set("code", GRAPHQL_VALIDATION_FAILED);
    } else {
        tracing::error!(message = %e.message, "GraphQL error without a code");
        ext.set("code", "INTERNAL");
    }
}

/// Every field argument's value position and name, operations and fragments alike (not expanded: linear).
fn argument_positions(doc: &ExecutableDocument) -> Vec<(Pos, String)> {
    fn walk(set: &SelectionSet, out: &mut Vec<(Pos, String)>) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(f) => {
                    out.extend(f.node.arguments.iter().map(|(name, value)| (value.pos, name.node.to_string())));
                    walk(&f.node.selection_set.node, out);
                }
                Selection::InlineFragment(inline) => walk(&inline.node.selection_set.node, out),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    for (_, op) in doc.operations.iter() {
        walk(&op.node.selection_set.node, &mut out);
    }
    for fragment in doc.fragments.values() {
        walk(&fragment.node.selection_set.node, &mut out);
    }
    out
}

fn path_segment(p: &async_graphql::PathSegment) -> Value {
    match p {
        async_graphql::PathSegment::Field(name) => Value::from(name.as_str()),
        async_graphql::PathSegment::Index(i) => Value::from(*i as u64),
    }
}

fn refusal(code: &str, limit: &str, max: u64, actual: u64, message: String) -> ServerError {
    let mut e = ServerError::new(message, None);
    let ext = e.extensions.get_or_insert_with(Default::default);
    ext.set("code", code);
    ext.set("limit", limit);
    ext.set("max", max);
    ext.set("actual", actual);
    e
}

fn over(code: &str, limit: &str, what: &str, max: u64, actual: u64) -> ServerError {
    refusal(
        code,
        limit,
        max,
        actual,
        format!("The document has {actual} {what}, {} over the limit of {max}.", actual - max),
    )
}

/// Checks the source and then the parsed document against `limits`; the parsed document when it passes.
pub fn check(limits: &Limits, source: &str) -> ServerResult<ExecutableDocument> {
    check_and_cost(limits, source).map(|(doc, _)| doc)
}

/// [`check`], and the fields the document selects with fragments expanded.
fn check_and_cost(limits: &Limits, source: &str) -> ServerResult<(ExecutableDocument, u64)> {
    let bytes = source.len();
    if bytes > limits.max_bytes {
        return Err(over(QUERY_TOO_LARGE, "bytes", "bytes", limits.max_bytes as u64, bytes as u64));
    }
    let scan = scan(source);
    if scan.tokens > limits.max_tokens {
        return Err(over(QUERY_TOO_LARGE, "tokens", "tokens", limits.max_tokens as u64, scan.tokens as u64));
    }
    if scan.nesting > limits.max_nesting {
        return Err(refusal(
            QUERY_TOO_DEEP,
            "nesting",
            limits.max_nesting as u64,
            scan.nesting as u64,
            format!(
                "The document nests brackets {} deep, {} over the limit of {}.",
                scan.nesting,
                scan.nesting - limits.max_nesting,
                limits.max_nesting
            ),
        ));
    }
    let doc = async_graphql::parser::parse_query(source)
        .map_err(|e| with_code(ServerError::from(e), GRAPHQL_PARSE_FAILED))?;
    if doc.fragments.len() > limits.max_fragments {
        let n = doc.fragments.len() as u64;
        return Err(over(QUERY_TOO_LARGE, "fragments", "fragments", limits.max_fragments as u64, n));
    }
    let cost = cost(&doc)?;
    if cost.depth > limits.max_depth {
        return Err(too_deep("depth", "fields", limits.max_depth, cost.depth));
    }
    if cost.introspection_depth > limits.max_introspection_depth {
        return Err(too_deep(
            "introspectionDepth",
            "introspection fields",
            limits.max_introspection_depth,
            cost.introspection_depth,
        ));
    }
    if cost.fields > limits.max_fields {
        return Err(over(QUERY_TOO_COMPLEX, "fields", "fields (fragments expanded)", limits.max_fields, cost.fields));
    }
    if cost.aliases > limits.max_aliases {
        return Err(over(
            QUERY_TOO_COMPLEX,
            "aliases",
            "aliases (fragments expanded)",
            limits.max_aliases,
            cost.aliases,
        ));
    }
    if cost.directives > limits.max_directives {
        let (max, n) = (limits.max_directives, cost.directives);
        return Err(over(QUERY_TOO_COMPLEX, "directives", "directives (fragments expanded)", max, n));
    }
    Ok((doc, cost.fields))
}

fn too_deep(limit: &str, what: &str, max: usize, actual: usize) -> ServerError {
    refusal(
        QUERY_TOO_DEEP,
        limit,
        max as u64,
        actual as u64,
        format!("The document nests {what} {actual} deep, {} over the limit of {max}.", actual - max),
    )
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Scan {
    tokens: usize,
    nesting: usize,
}

/// Counts tokens and the deepest bracket nesting in one pass, without parsing (so before the parser recurses).
/// Close enough to the GraphQL lexer for a limit: strings, block strings and comments are skipped as wholes.
fn scan(source: &str) -> Scan {
    let b = source.as_bytes();
    let (mut i, mut depth, mut out) = (0, 0usize, Scan::default());
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' if b[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < b.len() && !b[i..].starts_with(b"\"\"\"") {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 3;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                out.nesting = out.nesting.max(depth);
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'.' if b[i..].starts_with(b"...") => i += 3,
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'.' | b'+' | b'-')) {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        out.tokens += 1;
    }
    out
}

/// What a selection set costs, fragments expanded.
#[derive(Debug, Default, Clone, Copy)]
struct Cost {
    fields: u64,
    aliases: u64,
    directives: u64,
    /// Deepest field nesting outside introspection (inside it, when the set is itself in introspection).
    depth: usize,
    /// Deepest field nesting of an introspection selection started in this set, counted from `__schema`/`__type`.
    introspection_depth: usize,
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.directives = self.directives.saturating_add(other.directives);
        self.depth = self.depth.max(other.depth);
        self.introspection_depth = self.introspection_depth.max(other.introspection_depth);
    }
}

/// Each fragment's cost, computed once per (fragment, inside introspection or not).
struct Costs<'a> {
    doc: &'a ExecutableDocument,
    done: HashMap<(&'a str, bool), Cost>,
    visiting: Vec<(&'a str, bool)>,
}

/// The whole document's cost: every operation's selections with fragments expanded, each fragment costed once.
fn cost(doc: &ExecutableDocument) -> ServerResult<Cost> {
    let mut costs = Costs { doc, done: HashMap::new(), visiting: Vec::new() };
    let mut total = Cost::default();
    for (_, op) in doc.operations.iter() {
        total.directives = total.directives.saturating_add(op.node.directives.len() as u64);
        let c = costs.selection_set(&op.node.selection_set.node, false)?;
        total.add(c);
    }
    Ok(total)
}

impl<'a> Costs<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet, in_introspection: bool) -> ServerResult<Cost> {
        let mut cost = Cost::default();
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let f = &field.node;
                    let starts_introspection =
                        !in_introspection && matches!(f.name.node.as_str(), "__schema" | "__type");
                    let inner = self.selection_set(&f.selection_set.node, in_introspection || starts_introspection)?;
                    let mut own = Cost {
                        fields: 1,
                        aliases: u64::from(f.alias.is_some()),
                        directives: f.directives.len() as u64,
                        ..Cost::default()
                    };
                    own.fields = own.fields.saturating_add(inner.fields);
                    own.aliases = own.aliases.saturating_add(inner.aliases);
                    own.directives = own.directives.saturating_add(inner.directives);
                    if starts_introspection {
                        own.introspection_depth = inner.depth + 1;
                    } else {
                        own.depth = inner.depth + 1;
                        own.introspection_depth = inner.introspection_depth;
                    }
                    cost.add(own);
                }
                Selection::InlineFragment(inline) => {
                    cost.directives = cost.directives.saturating_add(inline.node.directives.len() as u64);
                    let inner = self.selection_set(&inline.node.selection_set.node, in_introspection)?;
                    cost.add(inner);
                }
                Selection::FragmentSpread(spread) => {
                    cost.directives = cost.directives.saturating_add(spread.node.directives.len() as u64);
                    let name = spread.node.fragment_name.node.as_str();
                    // An unknown fragment is for validation to report; it costs nothing here.
                    let Some((key, fragment)) = self.doc.fragments.get_key_value(name) else { continue };
                    let key = (key.as_str(), in_introspection);
                    if let Some(done) = self.done.get(&key) {
                        cost.add(*done);
                        continue;
                    }
                    if self.visiting.contains(&key) {
                        let mut e = ServerError::new(
                            format!("Cannot spread fragment \"{name}\" within itself."),
                            Some(spread.pos),
                        );
                        e.extensions.get_or_insert_with(Default::default).set("code", GRAPHQL_VALIDATION_FAILED);
                        return Err(e);
                    }
                    self.visiting.push(key);
                    let mut inner = self.selection_set(&fragment.node.selection_set.node, in_introspection)?;
                    inner.directives = inner.directives.saturating_add(fragment.node.directives.len() as u64);
                    self.visiting.pop();
                    self.done.insert(key, inner);
                    cost.add(inner);
                }
            }
        }
        Ok(cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(source: &str) -> (String, String, u64, u64) {
        let e = check(&Limits::default(), source).err().unwrap_or_else(|| panic!("accepted: {source}"));
        let ext = e.extensions.unwrap_or_default();
        let get = |k: &str| ext.get(k).cloned().unwrap_or(Value::Null);
        let num = |v: Value| match v {
            Value::Number(n) => n.as_u64().unwrap_or_default(),
            _ => 0,
        };
        (get("code").to_string(), get("limit").to_string(), num(get("max")), num(get("actual")))
    }

    /// `{ a { b { ... { leaf } } } }`: one field per name, nested.
    fn chain(names: &[&str]) -> String {
        format!("{{ {}{} }}", names.join(" { "), " }".repeat(names.len() - 1))
    }

    fn nested(depth: usize, name: &str) -> String {
        let mut names = vec![name; depth - 1];
        names.push("id");
        chain(&names)
    }

    /// `{ __schema { types { ofType { ... { name } } } } }`, `depth` fields deep.
    fn introspection(depth: usize) -> String {
        let mut names = vec!["__schema", "types"];
        names.extend(vec!["ofType"; depth - 3]);
        names.push("name");
        chain(&names)
    }

    #[test]
    fn counts_tokens_and_nesting_without_parsing() {
        assert_eq!(scan("{ a(x: [1, 2.5e3, -3]) { ...F } }"), Scan { tokens: 16, nesting: 3 });
        // Brackets and words inside strings and comments are not tokens.
        assert_eq!(scan("{ a(s: \"{{ (x\", t: \"\"\"{[ \\\"\"\" ]\"\"\") # {{{\n }"), Scan { tokens: 11, nesting: 2 });
    }

    #[test]
    fn fragment_spreads_are_counted_expanded_in_linear_time() {
        let mut doc = String::from("query { ...F0 }\n");
        for i in 0..30 {
            doc.push_str(&format!("fragment F{i} on Query {{ ...F{} ...F{} }}\n", i + 1, i + 1));
        }
        doc.push_str("fragment F30 on Query { __typename }\n");
        let started = std::time::Instant::now();
        let (code, limit, max, actual) = refused(&doc);
        assert!(started.elapsed() < Duration::from_millis(100), "took {:?}", started.elapsed());
        assert_eq!(
            (code.as_str(), limit.as_str(), max, actual),
            ("\"QUERY_TOO_COMPLEX\"", "\"fields\"", 2_000, 1 << 30)
        );
    }

    #[test]
    fn depth_outside_introspection_and_inside_it_have_their_own_limits() {
        assert!(check(&Limits::default(), &nested(12, "a")).is_ok());
        assert_eq!(refused(&nested(13, "a")).1, "\"depth\"");
        assert_eq!(refused(&nested(13, "a")).3, 13);
        // 15 deep under __schema is allowed (graphql-js 16 sends that), 21 is not.
        assert!(check(&Limits::default(), &introspection(15)).is_ok());
        assert!(check(&Limits::default(), &introspection(20)).is_ok());
        assert_eq!(refused(&introspection(21)).1, "\"introspectionDepth\"");
        // Ordinary fields beside __schema still count against the ordinary limit.
        let both = format!("{{ __schema {{ types {{ name }} }} {}", &nested(13, "a")[1..]);
        assert_eq!(refused(&both).1, "\"depth\"");
        // A fragment spread both inside and outside introspection is costed in each place.
        let frag = format!(
            "{{ ...Deep __type(name: \"Query\") {{ name }} }} fragment Deep on Query {} ",
            &nested(13, "a")[..]
        );
        assert_eq!(refused(&frag).1, "\"depth\"");
    }

    #[test]
    fn size_aliases_directives_fragments_and_cycles() {
        assert_eq!(refused(&format!("{{ a # {} \n}}", "x".repeat(40_000))).1, "\"bytes\"");
        assert_eq!(refused(&format!("{{ {} }}", "a ".repeat(6_000))).1, "\"tokens\"");
        assert_eq!(refused(&format!("{{ a(x: {}1{}) }}", "[".repeat(41), "]".repeat(41))).0, "\"QUERY_TOO_DEEP\"");
        let aliases: String = (0..201).map(|i| format!("a{i}: me {{ id }} ")).collect();
        assert_eq!(refused(&format!("{{ {aliases} }}")).1, "\"aliases\"");
        assert_eq!(refused(&format!("{{ me {} {{ id }} }}", "@skip(if: false) ".repeat(101))).1, "\"directives\"");
        let fragments: String = (0..101).map(|i| format!("fragment F{i} on Query {{ __typename }} ")).collect();
        assert_eq!(refused(&format!("{{ __typename }} {fragments}")).1, "\"fragments\"");
        assert_eq!(
            refused("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }").0,
            "\"GRAPHQL_VALIDATION_FAILED\""
        );
        assert_eq!(refused("{ a(").0, "\"GRAPHQL_PARSE_FAILED\"");
    }

    #[test]
    fn the_browser_apps_operations_are_within_the_limits() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../frontend/graphql");
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|f| f.path())
            .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
            .collect();
        assert!(files.len() >= 5, "{files:?}");
        for file in files {
            // A whole file at once: every operation in it, summed, stays within the limits of one.
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if let Err(e) = check(&Limits::default(), &text) {
                panic!("{}: {}: {:?}", file.display(), e.message, e.extensions);
            }
        }
    }

    struct Slow;

    #[async_graphql::Object]
    impl Slow {
        async fn wait(&self, ms: u64) -> u64 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ms
        }
    }

    fn slow_schema(timeout: Duration) -> async_graphql::Schema<Slow, Slow, async_graphql::EmptySubscription> {
        let limits = Limits { query_timeout: timeout, ..Limits::default() };
        async_graphql::Schema::build(Slow, Slow, async_graphql::EmptySubscription)
            .extension(QueryLimits(limits))
            .finish()
    }

    #[tokio::test]
    async fn a_query_is_stopped_at_its_time_limit_and_a_mutation_is_not() {
        let schema = slow_schema(Duration::from_millis(100));
        let res = schema.execute("{ wait(ms: 1) }").await;
        assert!(res.errors.is_empty(), "{:?}", res.errors);
        let started = std::time::Instant::now();
        let res = schema.execute("{ wait(ms: 10000) }").await;
        assert!(started.elapsed() < Duration::from_secs(5));
        let e = &res.errors[0];
        let ext = e.extensions.clone().unwrap_or_default();
        assert_eq!(ext.get("code"), Some(&Value::from(QUERY_TIMEOUT)));
        assert_eq!(ext.get("max"), Some(&Value::from(100u64)));
        assert!(e.message.contains("100 ms"), "{}", e.message);
        // A mutation runs to its end: stopping it half-way would leave its work half done.
        let res = schema.execute("mutation { wait(ms: 300) }").await;
        assert!(res.errors.is_empty(), "{:?}", res.errors);
    }
}
