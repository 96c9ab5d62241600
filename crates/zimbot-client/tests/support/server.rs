//! A loopback stand-in for the ZIM Server API and a media store: checks signatures, records requests, answers
//! scripted codes, and takes streamed PUT uploads without keeping their bytes.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use futures::StreamExt as _;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::oneshot;
use zimbot_wire::SignedQuery;

pub const APP_ID: u32 = 12345;
pub const SECRET: &str = "9193cc662a4c0ec135ec71fb57194b38";

/// What the server answers next.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A Server API envelope with this `Code` (and message).
    Code(i64),
    /// This exact JSON.
    Json(Value),
    /// An HTTP status with an empty body.
    Status(u16),
}

/// One Server API request as received.
#[derive(Debug, Clone)]
pub struct ApiCall {
    pub query: SignedQuery,
    pub body: Value,
    pub signature_ok: bool,
    pub at: Instant,
}

impl ApiCall {
    pub fn action(&self) -> &str {
        &self.query.action
    }

    /// The media description a media send carries in `MessageBody.Message`.
    pub fn media_description(&self) -> Value {
        serde_json::from_str(self.body["MessageBody"]["Message"].as_str().unwrap_or_default()).unwrap_or(Value::Null)
    }
}

/// One upload as received.
#[derive(Debug, Clone)]
pub struct Upload {
    pub uid: String,
    pub file_name: String,
    pub content_length: Option<u64>,
    pub received: u64,
    pub authorization: Option<String>,
    pub at: Instant,
}

#[derive(Default)]
struct Shared {
    base_url: String,
    calls: Mutex<Vec<ApiCall>>,
    answers: Mutex<VecDeque<Answer>>,
    uploads: Mutex<Vec<Upload>>,
    upload_answers: Mutex<VecDeque<u16>>,
    next_message: Mutex<u64>,
}

/// The running server; stops when dropped.
pub struct TestServer {
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared { base_url, ..Shared::default() });
        let router = Router::new()
            .route("/", post(server_api))
            .route("/media/{uid}/{file_name}", put(take_upload))
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        TestServer { shared, stop: Some(stop) }
    }

    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Queues answers for the next Server API requests (then it answers success again).
    pub fn answer(&self, answers: impl IntoIterator<Item = Answer>) {
        self.shared.answers.lock().unwrap().extend(answers);
    }

    /// Queues HTTP statuses for the next uploads (then it stores them again).
    pub fn answer_uploads(&self, statuses: impl IntoIterator<Item = u16>) {
        self.shared.upload_answers.lock().unwrap().extend(statuses);
    }

    pub fn calls(&self) -> Vec<ApiCall> {
        self.shared.calls.lock().unwrap().clone()
    }

    pub fn uploads(&self) -> Vec<Upload> {
        self.shared.uploads.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn server_api(State(shared): State<Arc<Shared>>, Query(query): Query<SignedQuery>, body: String) -> Response {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let signature_ok = query.app_id == APP_ID && query.verify(SECRET);
    let action = query.action.clone();
    shared.calls.lock().unwrap().push(ApiCall { query, body: body.clone(), signature_ok, at: Instant::now() });
    if !signature_ok {
        return Json(json!({"Code": 100000005, "Message": "signature invalid", "RequestId": "r"})).into_response();
    }
    let scripted = shared.answers.lock().unwrap().pop_front();
    match scripted {
        Some(Answer::Status(status)) => StatusCode::from_u16(status).unwrap().into_response(),
        Some(Answer::Json(value)) => Json(value).into_response(),
        Some(Answer::Code(code)) => {
            Json(json!({"Code": code, "Message": "scripted failure", "RequestId": "r"})).into_response()
        }
        None => {
            let number = {
                let mut next = shared.next_message.lock().unwrap();
                *next += 1;
                *next
            };
            let answer = match action.as_str() {
                "SendPeerMessage" => {
                    let to = body["ToUserId"][0].clone();
                    json!({"Code": 0, "Message": "success", "RequestId": "r",
                           "SuccList": [{"UserId": to, "MsgId": format!("m{number}"), "MsgSeq": number}], "ErrorList": []})
                }
                "SendGroupMessage" => {
                    json!({"Code": 0, "Message": "success", "RequestId": "r", "MsgId": format!("m{number}"), "MsgSeq": number})
                }
                _ => json!({"Code": 0, "Message": "success", "RequestId": "r", "ErrorList": []}),
            };
            Json(answer).into_response()
        }
    }
}

async fn take_upload(
    State(shared): State<Arc<Shared>>,
    Path((uid, file_name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let content_length = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    let mut stream = body.into_data_stream();
    let mut received = 0u64;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => received += chunk.len() as u64,
            Err(_) => return StatusCode::BAD_REQUEST.into_response(),
        }
    }
    shared.uploads.lock().unwrap().push(Upload {
        uid: uid.clone(),
        file_name: file_name.clone(),
        content_length,
        received,
        authorization: headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        at: Instant::now(),
    });
    if let Some(status) = shared.upload_answers.lock().unwrap().pop_front() {
        return StatusCode::from_u16(status).unwrap().into_response();
    }
    Json(json!({"url": format!("{}/media/{uid}/{file_name}", shared.base_url)})).into_response()
}
