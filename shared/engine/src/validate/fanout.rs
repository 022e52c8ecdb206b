//! Parallel and Map states: branches, item processors, item sources, batching and
//! tolerated failures.

use serde_json::{Map, Value};

use super::fields;
use super::states::Names;
use super::Checker;
use crate::definition::{
    IntOrPath, ItemBatcher, ItemSelector, ItemsSource, Map as MapState, NumberOrPath, Parallel,
    QueryLanguage,
};

impl Checker {
    pub(super) fn parallel(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        names: &Names<'_>,
    ) -> Parallel {
        let mut branches = Vec::new();
        match obj.get("Branches") {
            Some(Value::Array(list)) if !list.is_empty() => {
                for (i, b) in list.iter().enumerate() {
                    let bptr = format!("{ptr}/Branches/{i}");
                    match b {
                        Value::Object(bobj) => branches.push(self.branch(bobj, &bptr, false)),
                        _ => self.problem("A branch must be a JSON object", bptr),
                    }
                }
            }
            Some(_) => self.problem(
                "The field 'Branches' must be a non-empty array",
                format!("{ptr}/Branches"),
            ),
            None => self.problem("These fields are required: [Branches]", ptr),
        }
        Parallel {
            branches,
            parameters: self.payload(obj, "Parameters", ptr),
            arguments: self.template(obj, "Arguments", ptr),
            result_selector: self.payload(obj, "ResultSelector", ptr),
            result_path: self.path_field(obj, "ResultPath", ptr, true),
            retry: self.retry(obj, ptr),
            catch: self.catch(obj, ptr, names),
        }
    }

    pub(super) fn map(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        names: &Names<'_>,
    ) -> MapState {
        for unsupported in ["ItemReader", "ResultWriter"] {
            if obj.contains_key(unsupported) {
                self.problem(
                    format!("The field '{unsupported}' (Distributed Map reading or writing S3) is not supported by quickstep; Map states run their items inline"),
                    format!("{ptr}/{unsupported}"),
                );
            }
        }
        let (processor_field, processor) = match (obj.get("ItemProcessor"), obj.get("Iterator")) {
            (Some(p), None) => ("ItemProcessor", Some(p)),
            (None, Some(i)) => ("Iterator", Some(i)),
            (Some(_), Some(_)) => {
                self.problem(
                    "The fields 'ItemProcessor' and 'Iterator' cannot both be set",
                    ptr,
                );
                ("ItemProcessor", None)
            }
            (None, None) => {
                self.problem("These fields are required: [ItemProcessor]", ptr);
                ("ItemProcessor", None)
            }
        };
        let pptr = format!("{ptr}/{processor_field}");
        let mut distributed = false;
        let processor = match processor {
            Some(Value::Object(pobj)) => {
                if let Some(config) = pobj.get("ProcessorConfig") {
                    match config.get("Mode").and_then(Value::as_str) {
                        Some("DISTRIBUTED") => distributed = true,
                        Some("INLINE") | None => {}
                        Some(_) => self.problem(
                            "The value for the field 'Mode' must be one of [INLINE, DISTRIBUTED]",
                            format!("{pptr}/ProcessorConfig/Mode"),
                        ),
                    }
                }
                self.branch(pobj, &pptr, false)
            }
            Some(_) => {
                self.problem(
                    format!("The field '{processor_field}' must be a JSON object"),
                    pptr,
                );
                0
            }
            None => 0,
        };
        let item_selector = match (
            obj.contains_key("ItemSelector"),
            obj.contains_key("Parameters"),
        ) {
            (true, true) => {
                self.problem(
                    "The fields 'ItemSelector' and 'Parameters' cannot both be set",
                    ptr,
                );
                None
            }
            (true, false) if self.language == QueryLanguage::Jsonata => self
                .template(obj, "ItemSelector", ptr)
                .map(ItemSelector::Jsonata),
            (true, false) => self
                .payload(obj, "ItemSelector", ptr)
                .map(ItemSelector::JsonPath),
            (false, _) => self
                .payload(obj, "Parameters", ptr)
                .map(ItemSelector::JsonPath),
        };
        let items = if self.language == QueryLanguage::Jsonata {
            ItemsSource::Jsonata(self.template(obj, "Items", ptr))
        } else {
            ItemsSource::Path(self.path_field(obj, "ItemsPath", ptr, false))
        };
        let tolerated_failure_percentage = self.percentage(obj, ptr);
        let item_batcher = self.item_batcher(obj, ptr, distributed);
        MapState {
            processor,
            items,
            item_selector,
            max_concurrency: self
                .int_or_path(obj, "MaxConcurrency", ptr, 0, i64::from(i32::MAX))
                .unwrap_or(IntOrPath::Value(0)),
            tolerated_failure_count: self.int_or_path(
                obj,
                "ToleratedFailureCount",
                ptr,
                0,
                i64::from(i32::MAX),
            ),
            tolerated_failure_percentage,
            result_selector: self.payload(obj, "ResultSelector", ptr),
            result_path: self.path_field(obj, "ResultPath", ptr, true),
            retry: self.retry(obj, ptr),
            catch: self.catch(obj, ptr, names),
            distributed,
            item_batcher,
        }
    }

    pub(super) fn item_batcher(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
        distributed: bool,
    ) -> Option<ItemBatcher> {
        let value = obj.get("ItemBatcher")?;
        let bptr = format!("{ptr}/ItemBatcher");
        let Value::Object(batcher) = value else {
            self.problem("The field 'ItemBatcher' must be a JSON object", bptr);
            return None;
        };
        if !distributed {
            self.problem("The field 'ItemBatcher' is only supported when ProcessorConfig.Mode is DISTRIBUTED", bptr.clone());
        }
        self.unknown_fields(batcher, fields::ITEM_BATCHER, &bptr);
        Some(ItemBatcher {
            max_items_per_batch: self.int_or_path(
                batcher,
                "MaxItemsPerBatch",
                &bptr,
                1,
                i64::from(i32::MAX),
            ),
            max_input_bytes_per_batch: self.int_or_path(
                batcher,
                "MaxInputBytesPerBatch",
                &bptr,
                1,
                256 * 1024,
            ),
            batch_input: self.payload(batcher, "BatchInput", &bptr),
        })
    }

    pub(super) fn percentage(
        &mut self,
        obj: &Map<String, Value>,
        ptr: &str,
    ) -> Option<NumberOrPath> {
        const FIELD: &str = "ToleratedFailurePercentage";
        if self.field_and_path_both_set(obj, FIELD, ptr) {
            return None;
        }
        match (
            obj.get(FIELD),
            obj.contains_key("ToleratedFailurePercentagePath"),
        ) {
            (Some(v), _) if self.is_expression(v) => {
                self.template(obj, FIELD, ptr).map(NumberOrPath::Expression)
            }
            (Some(v), _) => {
                match v.as_f64().filter(|n| (0.0..=100.0).contains(n)) {
                    Some(n) => Some(NumberOrPath::Value(n)),
                    None => {
                        self.problem(
                        format!("The value for the field '{FIELD}' must be a number between 0 and 100"),
                        format!("{ptr}/{FIELD}"),
                    );
                        None
                    }
                }
            }
            (None, true) => self
                .path(obj, "ToleratedFailurePercentagePath", ptr)
                .map(NumberOrPath::Path),
            (None, false) => None,
        }
    }
}
