//! Ready-made attribute validators. Each reports at the attribute's path (or the element's, for lists and maps).

use crate::diag::Diagnostics;
use crate::schema::Validator;
use crate::value::{AttrPath, Value};

/// A string among `allowed`.
pub fn one_of(allowed: &'static [&'static str]) -> impl Validator {
    move |value: &Value, path: &AttrPath, diags: &mut Diagnostics| {
        if let Some(text) = value.as_str()
            && !allowed.contains(&text)
        {
            diags.error_at(
                path,
                "Invalid value",
                format!("{text:?} is not one of: {}.", allowed.join(", ")),
            );
        }
    }
}

/// An integer in `min..=max`.
pub fn int_between(min: i64, max: i64) -> impl Validator {
    move |value: &Value, path: &AttrPath, diags: &mut Diagnostics| {
        let Some(number) = value.as_number() else {
            return;
        };
        match number.as_i64() {
            Some(int) if (min..=max).contains(&int) => {}
            Some(_) | None => diags.error_at(
                path,
                "Value out of range",
                format!("{number} is not an integer from {min} to {max}."),
            ),
        }
    }
}

/// A string accepted by `check`, which explains a rejection in one sentence; `summary` heads the diagnostic.
pub fn string(summary: &'static str, check: fn(&str) -> Result<(), String>) -> impl Validator {
    move |value: &Value, path: &AttrPath, diags: &mut Diagnostics| {
        if let Some(text) = value.as_str()
            && let Err(reason) = check(text)
        {
            diags.error_at(path, summary, reason);
        }
    }
}

/// Applies `inner` to every known, non-null element of a list, set or map. List elements and map entries get their
/// own path; set elements have none in Terraform's protocol, so they are reported at the set.
pub fn each_element(inner: impl Validator + 'static) -> impl Validator {
    move |value: &Value, path: &AttrPath, diags: &mut Diagnostics| match value {
        Value::List(items) => {
            for (i, item) in items
                .iter()
                .enumerate()
                .filter(|(_, item)| !item.is_null() && item.is_known())
            {
                inner.validate(item, &path.join_index(i), diags);
            }
        }
        Value::Set(items) => {
            for item in items
                .iter()
                .filter(|item| !item.is_null() && item.is_known())
            {
                inner.validate(item, path, diags);
            }
        }
        Value::Map(items) => {
            for (key, item) in items
                .iter()
                .filter(|(_, item)| !item.is_null() && item.is_known())
            {
                inner.validate(item, &path.join_key(key), diags);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(validator: &dyn Validator, value: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        validator.validate(&value, &AttrPath::attr("x"), &mut diags);
        diags
    }

    #[test]
    fn stock_validators() {
        assert!(run(&one_of(&["a", "b"]), "a".into()).is_empty());
        assert!(run(&one_of(&["a", "b"]), "c".into()).has_errors());
        assert!(run(&int_between(0, 10), 10_i64.into()).is_empty());
        assert!(run(&int_between(0, 10), 11_i64.into()).has_errors());
        assert!(
            run(
                &int_between(0, 10),
                Value::Number(crate::value::Number::from_f64(1.5).unwrap())
            )
            .has_errors()
        );
        let even = string("Odd length", |s| {
            if s.len() % 2 == 0 {
                Ok(())
            } else {
                Err("odd".into())
            }
        });
        assert!(run(&even, "ab".into()).is_empty());
        let diags = run(
            &each_element(even),
            Value::List(vec!["ab".into(), Value::Unknown, "abc".into()]),
        );
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.path.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(paths, ["x[2]"]);
    }
}
