//! The app's GraphQL layer, generated from `graphql/*.graphql` and `../schema.graphql` into `OUT_DIR/operations.rs`
//! (included by `api.rs`):
//! - every operation of every file: a unit struct named as the operation, a module of its types (snake case), typed
//!   by `graphql_client_codegen` (a query that no longer matches the schema fails the build), and its `Persisted`
//!   impl: the file's persisted document id, `sha256:<hex>` of its exact bytes, as the server computes it for the
//!   same files (crates/server/src/persisted.rs). The app sends the id, never the document.
//! - answers read by `api::Decode` from the answer's JSON: one small function per type, written here from the
//!   generated struct, where serde's derive made a visitor per type (issue 18, bench/README.md).
//! - a type that several operations generate alike (a fragment and the types inside it, an enum, an input) once,
//!   in the module `shared`, which each of those operations' modules re-exports: `login::SessionFields` and
//!   `sign_up::SessionFields` are one type.
//!
//! On wasm32 it also links with `--emit-relocs`: `wasm-split-cli` (scripts/build-frontend) needs the relocations to
//! cut the `#[lazy]` pages out of the main module.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use graphql_client_codegen::{CodegenMode, GraphQLClientCodegenOptions, generate_module_token_stream};
use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use sha2::{Digest, Sha256};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Fields, Item, LitStr, Stmt, Token};

type Error = Box<dyn std::error::Error>;

/// One operation as generated: its name, its module's name and items, and its document's id.
struct Operation {
    name: Ident,
    module: Ident,
    items: Vec<Item>,
    document_id: String,
    /// A `query` (not a mutation or subscription).
    query: bool,
}

fn main() -> Result<(), Error> {
    println!("cargo:rerun-if-changed=graphql");
    println!("cargo:rerun-if-changed=../schema.graphql");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg=--emit-relocs");
    }
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR")?).to_path_buf();
    let schema = dir.join("../schema.graphql");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("graphql"))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .collect();
    files.sort();
    let mut operations = Vec::new();
    for path in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path)?;
        let hex = Sha256::digest(text.as_bytes()).iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        for (query, name) in operation_names(&text) {
            operations.push(generate(&path, &schema, &name, format!("sha256:{hex}"), query)?);
        }
    }
    let out = Path::new(&std::env::var("OUT_DIR")?).join("operations.rs");
    std::fs::write(out, emit(operations)?.to_string())?;
    Ok(())
}

/// The names of a document's operations: `query Name`, `mutation Name`, `subscription Name` at a line's start, each
/// with whether it is a query.
fn operation_names(text: &str) -> Vec<(bool, String)> {
    text.lines()
        .filter_map(|line| {
            let (kind, rest) =
                ["query ", "mutation ", "subscription "].iter().find_map(|k| Some((*k, line.strip_prefix(k)?)))?;
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            (!name.is_empty()).then_some((kind == "query ", name))
        })
        .collect()
}

/// One operation's module as `graphql_client_codegen` writes it, with its answer types read by `Decode` rather
/// than serde, and without the document's text (the app sends the id).
fn generate(path: &Path, schema: &Path, name: &str, document_id: String, query: bool) -> Result<Operation, Error> {
    let ident = Ident::new(name, Span::call_site());
    let mut options = GraphQLClientCodegenOptions::new(CodegenMode::Derive);
    options.set_query_file(path.to_path_buf());
    options.set_operation_name(name.to_owned());
    options.set_struct_ident(ident.clone());
    options.set_module_visibility(syn::parse_quote!(pub));
    options.set_response_derives("Debug, Clone, PartialEq".into());
    options.set_variables_derives("Debug, Clone".into());
    options.set_serde_path(syn::parse_quote!(::serde));
    let tokens = generate_module_token_stream(path.to_path_buf(), schema, options)
        .map_err(|e| format!("{}, operation {name}: {e}", path.display()))?;
    let file: syn::File = syn::parse2(tokens)?;
    let module = file
        .items
        .into_iter()
        .find_map(|item| match item {
            Item::Mod(m) => Some(m),
            _ => None,
        })
        .ok_or("graphql_client_codegen wrote no module")?;
    let (_, generated) = module.content.ok_or("graphql_client_codegen wrote an empty module")?;
    let mut items = Vec::new();
    for item in generated {
        items.extend(decoded(item)?);
    }
    Ok(Operation { name: ident, module: module.ident, items, document_id, query })
}

/// An item with serde's `Deserialize` replaced by a `Decode` impl: structs get one that reads each field by its
/// JSON name (a `flatten`ed fragment from the same object), enums one that reads their wire name.
fn decoded(item: Item) -> Result<Vec<Item>, Error> {
    Ok(match item {
        Item::Struct(mut s) if derives(&s.attrs)?.iter().any(|d| d == "Deserialize") => {
            take_derive(&mut s.attrs, "Deserialize")?;
            let serialized = derives(&s.attrs)?.iter().any(|d| d == "Serialize");
            if !serialized {
                s.attrs.retain(|a| !a.path().is_ident("serde"));
            }
            let Fields::Named(named) = &mut s.fields else {
                return Err(format!("{}: not a named struct", s.ident).into());
            };
            let mut reads = Vec::new();
            for field in named.named.iter_mut() {
                let ident = field.ident.clone().ok_or("a field without a name")?;
                let (rename, flatten) = serde_field(&field.attrs)?;
                if !serialized {
                    field.attrs.retain(|a| !a.path().is_ident("serde"));
                }
                let wire = rename.unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned());
                reads.push(if flatten {
                    quote!(#ident: super::Decode::decode(v)?)
                } else {
                    quote!(#ident: super::Decode::decode(super::field(v, #wire))?)
                });
            }
            let ty = &s.ident;
            let decode: Item = syn::parse_quote! {
                impl super::Decode for #ty {
                    fn decode(v: &serde_json::Value) -> Result<Self, super::DecodeError> {
                        Ok(Self { #(#reads),* })
                    }
                }
            };
            vec![Item::Struct(s), decode]
        }
        Item::Enum(e) if derives(&e.attrs)?.iter().any(|d| d == "Deserialize") => {
            return Err(
                format!("{}: a derived Deserialize on an enum (a union or interface) is not read", e.ident).into()
            );
        }
        // `impl Deserialize for AnEnum`: `let s: String = ...; match s.as_str() { "WIRE" => Ok(AnEnum::WIRE), ..,
        // _ => Ok(AnEnum::Other(s)) }`; the same match, on the decoded string.
        Item::Impl(i)
            if i.trait_
                .as_ref()
                .is_some_and(|(_, p, _)| p.segments.last().is_some_and(|s| s.ident == "Deserialize")) =>
        {
            let ty = &i.self_ty;
            let body = i
                .items
                .iter()
                .find_map(|f| match f {
                    syn::ImplItem::Fn(f) => f.block.stmts.last(),
                    _ => None,
                })
                .and_then(|stmt| match stmt {
                    Stmt::Expr(Expr::Match(m), None) => Some(m),
                    _ => None,
                })
                .ok_or("an enum's Deserialize impl without a match on its wire name")?;
            vec![syn::parse_quote! {
                impl super::Decode for #ty {
                    fn decode(v: &serde_json::Value) -> Result<Self, super::DecodeError> {
                        let s = <String as super::Decode>::decode(v)?;
                        #body
                    }
                }
            }]
        }
        Item::Use(u) if u.to_token_stream().to_string().contains("Deserialize") => vec![syn::parse_quote!(
            use ::serde::Serialize;
        )],
        Item::Const(c) if c.ident != "OPERATION_NAME" => vec![],
        other => vec![other],
    })
}

/// The names in an item's `#[derive(..)]`.
fn derives(attrs: &[Attribute]) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let paths = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)?;
        names.extend(paths.iter().filter_map(|p| p.segments.last()).map(|s| s.ident.to_string()));
    }
    Ok(names)
}

/// Removes `name` from the item's derives.
fn take_derive(attrs: &mut [Attribute], name: &str) -> Result<(), Error> {
    for attr in attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
        let paths = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)?;
        let kept: Vec<_> = paths.iter().filter(|p| p.segments.last().is_none_or(|s| s.ident != name)).collect();
        *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
    }
    Ok(())
}

/// A field's `#[serde(rename = "..")]` and whether it is `#[serde(flatten)]`; any other serde attribute is refused
/// (`Decode` would not honour it).
fn serde_field(attrs: &[Attribute]) -> Result<(Option<String>, bool), Error> {
    let (mut rename, mut flatten) = (None, false);
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                rename = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("flatten") {
                flatten = true;
            } else {
                return Err(meta.error("a serde attribute Decode does not read"));
            }
            Ok(())
        })?;
    }
    Ok((rename, flatten))
}

/// The name an item is shared under: a public struct, enum or type alias, or the type an impl is for. Private
/// aliases (the scalars: `type ID = String;`) stay in each module.
fn shared_name(item: &Item) -> Option<String> {
    let public = |v: &syn::Visibility| matches!(v, syn::Visibility::Public(_));
    match item {
        Item::Struct(s) if public(&s.vis) => Some(s.ident.to_string()),
        Item::Enum(e) if public(&e.vis) => Some(e.ident.to_string()),
        Item::Type(t) if public(&t.vis) => Some(t.ident.to_string()),
        Item::Impl(i) => match &*i.self_ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn idents(tokens: TokenStream, into: &mut BTreeSet<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(i) => {
                into.insert(i.to_string());
            }
            TokenTree::Group(g) => idents(g.stream(), into),
            _ => {}
        }
    }
}

/// The file: `shared` (each type that two or more operations generate alike, with everything it names), then each
/// operation's struct, `Persisted` impl and module.
fn emit(operations: Vec<Operation>) -> Result<TokenStream, Error> {
    // Per operation: each shared name's items, as text (a type and its impls together), and the names they use.
    let texts: Vec<BTreeMap<String, (String, BTreeSet<String>)>> = operations
        .iter()
        .map(|op| {
            let mut texts = BTreeMap::<String, (String, BTreeSet<String>)>::new();
            for item in &op.items {
                if let Some(name) = shared_name(item) {
                    let (text, named) = texts.entry(name).or_default();
                    let tokens = item.to_token_stream();
                    text.push_str(&tokens.to_string());
                    idents(tokens, named);
                }
            }
            texts
        })
        .collect();
    let mut seen = BTreeMap::<&str, (usize, bool)>::new(); // name -> (modules, alike everywhere)
    for (i, t) in texts.iter().enumerate() {
        for (name, (text, _)) in t {
            let first = texts.iter().take(i).find_map(|other| other.get(name));
            let entry = seen.entry(name).or_insert((0, true));
            entry.0 += 1;
            entry.1 &= first.is_none_or(|(f, _)| f == text);
        }
    }
    let mut shared: BTreeSet<String> =
        seen.iter().filter(|(_, (n, alike))| *n >= 2 && *alike).map(|(name, _)| (*name).to_owned()).collect();
    // A shared type must not name a type of its module that is not shared.
    loop {
        let unshared: Vec<String> = shared
            .iter()
            .filter(|name| {
                texts
                    .iter()
                    .filter_map(|t| t.get(*name).map(|(_, named)| (t, named)))
                    .any(|(t, named)| named.iter().any(|n| t.contains_key(n) && !shared.contains(n)))
            })
            .cloned()
            .collect();
        if unshared.is_empty() {
            break;
        }
        for name in unshared {
            shared.remove(&name);
        }
    }

    let mut shared_items: Vec<&Item> = Vec::new();
    let mut emitted = BTreeSet::new();
    let mut scalars = BTreeMap::<String, &Item>::new();
    for op in &operations {
        for item in &op.items {
            match shared_name(item) {
                // From the first operation that has it (every copy is alike).
                Some(name) if shared.contains(&name) && !emitted.contains(&name) => shared_items.push(item),
                None => {
                    if let Item::Type(t) = item {
                        scalars.entry(t.ident.to_string()).or_insert(item);
                    }
                }
                _ => {}
            }
        }
        for item in &op.items {
            if let Some(name) = shared_name(item).filter(|n| shared.contains(n)) {
                emitted.insert(name);
            }
        }
    }
    let scalars = scalars.values();
    let mut out = quote! {
        /// The types two or more operations generate alike, once (build.rs).
        pub mod shared {
            #![allow(dead_code, unused_imports, nonstandard_style, clippy::all)]
            use super::*;
            use std::result::Result;
            use ::serde::Serialize;
            #(#scalars)*
            #(#shared_items)*
        }
    };
    for op in operations {
        let Operation { name, module, items, document_id, query } = op;
        let own = items.iter().filter(|i| shared_name(i).is_none_or(|n| !shared.contains(&n)));
        let reused: BTreeSet<Ident> = items
            .iter()
            .filter_map(shared_name)
            .filter(|n| shared.contains(n))
            .map(|n| Ident::new(&n, Span::call_site()))
            .collect();
        let reused = reused.iter();
        out.extend(quote! {
            pub struct #name;
            impl Persisted for #name {
                type Variables = #module::Variables;
                type ResponseData = #module::ResponseData;
                const DOCUMENT_ID: &'static str = #document_id;
                const OPERATION_NAME: &'static str = #module::OPERATION_NAME;
                const QUERY: bool = #query;
            }
            pub mod #module {
                #![allow(dead_code, unused_imports, nonstandard_style, clippy::all)]
                #(#own)*
                pub use super::shared::{#(#reused),*};
            }
        });
    }
    Ok(out)
}
