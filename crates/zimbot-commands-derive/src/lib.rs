//! `#[derive(BotCommands)]`: the macro behind `zimbot-commands` (see that crate for what the derived parser
//! accepts). It reads the enum's variants, their doc comments and fields, and writes the command table and a
//! `from_words` that takes each field from the argument words in order.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::{parse_macro_input, Data, DeriveInput, Fields, GenericArgument, PathArguments, Type};

#[proc_macro_derive(BotCommands)]
pub fn derive_bot_commands(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// One argument of a command.
struct Argument {
    /// The binding in the generated code.
    binding: syn::Ident,
    /// The field name, for named fields.
    field: Option<syn::Ident>,
    /// How the usage names it: `COUNT`, or the type for tuple fields.
    shown: String,
    /// The type read with `FromStr`: the field's type, or `T` of `Option<T>`.
    read: Type,
    optional: bool,
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(&input.ident, "BotCommands is derived for an enum of commands"));
    };
    let name = &input.ident;
    let mut infos = Vec::new();
    let mut arms = Vec::new();
    for variant in &data.variants {
        let command = command_name(&variant.ident.to_string());
        let description = doc_comment(&variant.attrs);
        let arguments = arguments(&variant.fields)?;
        check_optional_last(&arguments, variant)?;
        let mut usage = format!("!{command}");
        for argument in &arguments {
            usage.push(' ');
            usage.push_str(&if argument.optional { format!("[{}]", argument.shown) } else { argument.shown.clone() });
        }
        infos.push(quote! {
            ::zimbot_commands::CommandInfo { name: #command, usage: #usage, description: #description }
        });
        let takes = arguments.iter().map(|argument| {
            let (binding, read, shown) = (&argument.binding, &argument.read, &argument.shown);
            let expected = quote!(#read).to_string().replace(' ', "");
            if argument.optional {
                quote! { let #binding = args.optional::<#read>(#shown, #expected)?; }
            } else {
                quote! { let #binding = args.required::<#read>(#shown, #expected)?; }
            }
        });
        let variant_name = &variant.ident;
        let bindings = arguments.iter().map(|argument| &argument.binding);
        let build = match &variant.fields {
            Fields::Unit => quote!(Self::#variant_name),
            Fields::Unnamed(_) => quote!(Self::#variant_name( #(#bindings),* )),
            Fields::Named(_) => {
                let fields = arguments.iter().map(|argument| {
                    let (field, binding) = (&argument.field, &argument.binding);
                    quote!(#field: #binding)
                });
                quote!(Self::#variant_name { #(#fields),* })
            }
        };
        arms.push(quote! {
            #command => {
                #(#takes)*
                args.finish()?;
                Ok(#build)
            }
        });
    }
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::zimbot_commands::BotCommands for #name #type_generics #where_clause {
            const COMMANDS: &'static [::zimbot_commands::CommandInfo] = &[ #(#infos),* ];

            #[allow(unused_mut)]
            fn from_words(
                name: &str,
                mut args: ::zimbot_commands::Args,
            ) -> ::core::result::Result<Self, ::zimbot_commands::CommandError> {
                match name {
                    #(#arms)*
                    other => Err(::zimbot_commands::CommandError::Unknown { name: other.to_owned() }),
                }
            }
        }
    })
}

/// `MediaPost` → `media-post`.
fn command_name(variant: &str) -> String {
    let mut name = String::new();
    for (index, c) in variant.chars().enumerate() {
        if c.is_uppercase() && index > 0 {
            name.push('-');
        }
        name.extend(c.to_lowercase());
    }
    name
}

/// The first paragraph of the doc comment, on one line.
fn doc_comment(attrs: &[syn::Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("doc")) {
        if let syn::Meta::NameValue(syn::MetaNameValue {
            value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }),
            ..
        }) = &attr.meta
        {
            let line = text.value().trim().to_owned();
            if line.is_empty() && !lines.is_empty() {
                break;
            }
            if !line.is_empty() {
                lines.push(line);
            }
        }
    }
    lines.join(" ")
}

fn arguments(fields: &Fields) -> syn::Result<Vec<Argument>> {
    let mut arguments = Vec::new();
    for (index, field) in fields.iter().enumerate() {
        let (read, optional) = match option_inner(&field.ty) {
            Some(inner) => (inner.clone(), true),
            None => (field.ty.clone(), false),
        };
        let shown = match &field.ident {
            Some(ident) => ident.to_string().trim_start_matches("r#").to_uppercase(),
            None => quote!(#read).to_string().replace(' ', "").to_uppercase(),
        };
        arguments.push(Argument {
            binding: format_ident!("argument_{index}"),
            field: field.ident.clone(),
            shown,
            read,
            optional,
        });
    }
    Ok(arguments)
}

/// Only trailing arguments may be left out, or the words could not be matched to fields.
fn check_optional_last(arguments: &[Argument], variant: &syn::Variant) -> syn::Result<()> {
    let first_optional = arguments.iter().position(|argument| argument.optional);
    match first_optional {
        Some(first) if arguments[first..].iter().any(|argument| !argument.optional) => Err(syn::Error::new_spanned(
            &variant.ident,
            "an Option argument must come after every required one: words are matched to fields in order",
        )),
        _ => Ok(()),
    }
}

/// `T` when `ty` is `Option<T>`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else { return None };
    match arguments.args.first()? {
        GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}
