//! Reads `template.yaml`: the tables, queues and HTTP routes it declares. The
//! local stack creates its resources from this, so local and deployed schemas
//! cannot drift.

use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::Path;

pub struct Template {
    resources: Vec<(String, Value)>,
    /// Parameter values: the template's defaults, then local overrides.
    parameters: std::collections::HashMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyElement {
    pub attribute: String,
    pub key_type: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub name: String,
    pub keys: Vec<KeyElement>,
    pub projection_type: String,
    pub non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The logical id, which is also the table's name on the local stack.
    pub logical_id: String,
    pub attributes: Vec<(String, String)>,
    pub keys: Vec<KeyElement>,
    pub indexes: Vec<Index>,
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    pub logical_id: String,
    pub fifo: bool,
    pub visibility_timeout: Option<u64>,
    pub message_retention: Option<u64>,
    /// (logical id of the dead-letter queue, maxReceiveCount)
    pub redrive: Option<(String, u64)>,
}

/// One HTTP API route: `("GET", "/users/me")`, or `("ANY", "$default")`.
pub type Route = (String, String);

#[derive(Debug)]
pub struct TemplateError(pub String);

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "template.yaml: {}", self.0)
    }
}

impl std::error::Error for TemplateError {}

fn err(message: impl Into<String>) -> TemplateError {
    TemplateError(message.into())
}

fn text(value: &Value, what: &str) -> Result<String, TemplateError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(err(format!("{what} is not a plain value"))),
    }
}

fn number(value: &Value, what: &str) -> Result<u64, TemplateError> {
    text(value, what)?
        .parse()
        .map_err(|_| err(format!("{what} is not a number")))
}

fn list(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_sequence)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn key_schema(value: Option<&Value>, what: &str) -> Result<Vec<KeyElement>, TemplateError> {
    list(value)
        .iter()
        .map(|k| {
            Ok(KeyElement {
                attribute: text(&k["AttributeName"], what)?,
                key_type: text(&k["KeyType"], what)?,
            })
        })
        .collect()
}

/// `!GetAtt Name.Arn`, `!GetAtt [Name, Arn]` or `Fn::GetAtt: [...]`: the logical id.
fn get_att_target(value: &Value) -> Option<String> {
    let inner = match value {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" || tagged.tag == "!GetAtt" => &tagged.value,
        Value::Mapping(map) => map.get("Fn::GetAtt")?,
        _ => return None,
    };
    match inner {
        Value::String(s) => s.split('.').next().map(str::to_owned),
        Value::Sequence(seq) => seq.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

impl Template {
    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&source)
    }

    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let doc: Value = serde_yaml::from_str(source).map_err(|e| err(e.to_string()))?;
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| err("no Resources"))?
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.clone())))
            .collect();
        let parameters = doc
            .get("Parameters")
            .and_then(Value::as_mapping)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.get("Default")?.clone())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            resources,
            parameters,
        })
    }

    /// Uses `value` for parameter `name` instead of its default.
    pub fn set_parameter(&mut self, name: &str, value: impl Into<String>) {
        self.parameters
            .insert(name.to_owned(), Value::String(value.into()));
    }

    /// A property's value with `!Ref <Parameter>` replaced by the parameter's value.
    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value {
            Value::Tagged(t) if t.tag == "Ref" => t
                .value
                .as_str()
                .and_then(|name| self.parameters.get(name))
                .unwrap_or(value),
            other => other,
        }
    }

    fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a String, &'a Value)> + 'a {
        self.resources
            .iter()
            .filter(move |(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
            .map(|(id, r)| (id, &r["Properties"]))
    }

    pub fn tables(&self) -> Result<Vec<Table>, TemplateError> {
        self.of_type("AWS::DynamoDB::Table")
            .map(|(id, p)| {
                let what = format!("table {id}");
                let attributes = list(p.get("AttributeDefinitions"))
                    .iter()
                    .map(|a| {
                        Ok((
                            text(&a["AttributeName"], &what)?,
                            text(&a["AttributeType"], &what)?,
                        ))
                    })
                    .collect::<Result<_, TemplateError>>()?;
                let indexes = list(p.get("GlobalSecondaryIndexes"))
                    .iter()
                    .map(|g| {
                        Ok(Index {
                            name: text(&g["IndexName"], &what)?,
                            keys: key_schema(g.get("KeySchema"), &what)?,
                            projection_type: g["Projection"]
                                .get("ProjectionType")
                                .map(|v| text(v, &what))
                                .transpose()?
                                .unwrap_or_else(|| "ALL".into()),
                            non_key_attributes: list(g["Projection"].get("NonKeyAttributes"))
                                .iter()
                                .map(|a| text(a, &what))
                                .collect::<Result<_, _>>()?,
                        })
                    })
                    .collect::<Result<_, TemplateError>>()?;
                let ttl = p.get("TimeToLiveSpecification");
                let ttl_attribute = match ttl {
                    Some(spec) if spec.get("Enabled").and_then(Value::as_bool) == Some(true) => {
                        Some(text(&spec["AttributeName"], &what)?)
                    }
                    _ => None,
                };
                Ok(Table {
                    logical_id: id.clone(),
                    attributes,
                    keys: key_schema(p.get("KeySchema"), &what)?,
                    indexes,
                    ttl_attribute,
                })
            })
            .collect()
    }

    /// Queues, dead-letter queues first so a redrive policy can name them.
    pub fn queues(&self) -> Result<Vec<Queue>, TemplateError> {
        let mut queues: Vec<Queue> = self
            .of_type("AWS::SQS::Queue")
            .map(|(id, p)| {
                let what = format!("queue {id}");
                let redrive = match p.get("RedrivePolicy") {
                    Some(policy) => Some((
                        get_att_target(&policy["deadLetterTargetArn"]).ok_or_else(|| {
                            err(format!(
                                "{what}: deadLetterTargetArn must be !GetAtt <queue>.Arn"
                            ))
                        })?,
                        number(self.resolve(&policy["maxReceiveCount"]), &what)?,
                    )),
                    None => None,
                };
                Ok(Queue {
                    logical_id: id.clone(),
                    fifo: p.get("FifoQueue").and_then(Value::as_bool).unwrap_or(false),
                    visibility_timeout: p
                        .get("VisibilityTimeout")
                        .map(|v| number(self.resolve(v), &what))
                        .transpose()?,
                    message_retention: p
                        .get("MessageRetentionPeriod")
                        .map(|v| number(self.resolve(v), &what))
                        .transpose()?,
                    redrive,
                })
            })
            .collect::<Result<_, TemplateError>>()?;
        queues.sort_by_key(|q| q.redrive.is_some());
        Ok(queues)
    }

    /// Every HttpApi route of every function, with the function's logical id.
    pub fn routes(&self) -> Vec<(Route, String)> {
        let mut routes = Vec::new();
        for (id, props) in self.of_type("AWS::Serverless::Function") {
            let Some(events) = props.get("Events").and_then(Value::as_mapping) else {
                continue;
            };
            for event in events.values() {
                if event.get("Type").and_then(Value::as_str) != Some("HttpApi") {
                    continue;
                }
                let p = &event["Properties"];
                let method = p
                    .get("Method")
                    .and_then(Value::as_str)
                    .unwrap_or("ANY")
                    .to_uppercase();
                let path = p
                    .get("Path")
                    .and_then(Value::as_str)
                    .unwrap_or("$default")
                    .to_owned();
                routes.push(((method, path), id.clone()));
            }
        }
        routes
    }

    /// The binary each function is built from (`Metadata.BuildProperties.Binary`).
    pub fn function_binaries(&self) -> BTreeSet<(String, String)> {
        self.resources
            .iter()
            .filter(|(_, r)| {
                r.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::Function")
            })
            .filter_map(|(id, r)| {
                let binary = r
                    .get("Metadata")?
                    .get("BuildProperties")?
                    .get("Binary")?
                    .as_str()?;
                Some((id.clone(), binary.to_owned()))
            })
            .collect()
    }

    /// A function's environment variables; `!Ref X` values become `X`.
    pub fn function_env(&self, function: &str) -> Vec<(String, String)> {
        let Some((_, resource)) = self.resources.iter().find(|(id, _)| id == function) else {
            return Vec::new();
        };
        let vars = &resource["Properties"]["Environment"]["Variables"];
        vars.as_mapping()
            .map(|map| {
                map.iter()
                    .filter_map(|(k, v)| {
                        let value = match v {
                            Value::Tagged(t) if t.tag == "Ref" || t.tag == "!Ref" => {
                                t.value.as_str()?.to_owned()
                            }
                            other => text(other, "").ok()?,
                        };
                        Some((k.as_str()?.to_owned(), value))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
Resources:
  T:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions:
        - { AttributeName: pk, AttributeType: S }
        - { AttributeName: g, AttributeType: N }
      KeySchema:
        - { AttributeName: pk, KeyType: HASH }
      GlobalSecondaryIndexes:
        - IndexName: byG
          KeySchema: [{ AttributeName: g, KeyType: HASH }]
          Projection: { ProjectionType: INCLUDE, NonKeyAttributes: [a] }
      TimeToLiveSpecification: { AttributeName: ttl, Enabled: true }
  Main:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Dlq.Arn
        maxReceiveCount: 5
  Dlq:
    Type: AWS::SQS::Queue
  F:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: f } }
    Properties:
      Environment: { Variables: { TABLE: !Ref T, PLAIN: x } }
      Events:
        A: { Type: HttpApi, Properties: { Method: get, Path: /a } }
        B: { Type: SQS, Properties: {} }
"#;

    #[test]
    fn reads_tables_queues_routes_and_env() {
        let t = Template::parse(SAMPLE).unwrap();
        let tables = t.tables().unwrap();
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].indexes[0].name, "byG");
        assert_eq!(tables[0].indexes[0].non_key_attributes, ["a"]);
        assert_eq!(tables[0].ttl_attribute.as_deref(), Some("ttl"));
        let queues = t.queues().unwrap();
        assert_eq!(queues[0].logical_id, "Dlq");
        assert_eq!(queues[1].redrive, Some(("Dlq".into(), 5)));
        assert_eq!(queues[1].visibility_timeout, Some(60));
        assert_eq!(t.routes(), [(("GET".into(), "/a".into()), "F".into())]);
        assert_eq!(
            t.function_binaries().into_iter().collect::<Vec<_>>(),
            [("F".into(), "f".into())]
        );
        let env = t.function_env("F");
        assert!(env.contains(&("TABLE".into(), "T".into())));
        assert!(env.contains(&("PLAIN".into(), "x".into())));
    }
}
