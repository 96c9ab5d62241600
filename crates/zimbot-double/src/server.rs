//! The scripted double of the ZIM service: the Server API at `POST /?Action=...` and a media store at
//! `PUT/GET /media/{uid}/{file_name}`, on a loopback port of its own.
//!
//! Every Server API request is captured with the ways its body breaks the published request schema (see
//! [`crate::Contract`]), and every answer given with the ways it breaks the answer schema, so a test can assert
//! that a whole run stayed inside the contract.
//!
//! Without a script the double answers as the documents say the service does:
//! - bad signature (wrong app id or secret): `Code` 100000005; a `Timestamp` more than 10 minutes off: 100000004;
//! - `SendPeerMessage`: every receiver in `SuccList` with a string `MsgId` and a numeric `MsgSeq`;
//! - `SendRoomMessage`: the bare envelope;
//! - `SendGroupMessage`: a numeric `MsgId` and `MsgSeq`;
//! - `RobotRegister` / `UserRegister`: remembers users; users that exist already are listed in `ErrorList` with
//!   `SubCode` 660700002, and when every user of the request exists `Code` is 660700002 too;
//! - `CreateRoom`, `CreateGroup`, `InviteUsersIntoGroup`: the bare envelope; after
//!   [`ServiceDouble::rooms_must_exist`], rooms are kept: sends to a room not created yet get 660300001.

use crate::reply::Reply;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use zimbot_contract::Contract;
use zimbot_wire::SignedQuery;

/// One Server API request as the double received it, with what it answered.
#[derive(Debug, Clone)]
pub struct Capture {
    pub action: String,
    pub query: BTreeMap<String, String>,
    pub body: Value,
    pub signature_ok: bool,
    /// How the body breaks the published request schema; empty when it conforms (or the action is unknown).
    pub request_errors: Vec<String>,
    /// The JSON answered, if a JSON answer was given.
    pub answer: Option<Value>,
    /// How the answer breaks the published answer schema (checked for normal and documented replies).
    pub answer_errors: Vec<String>,
    pub at: Instant,
}

impl Capture {
    /// The media description a media send carries, JSON-encoded, in `MessageBody.Message`.
    pub fn media_description(&self) -> Option<Value> {
        serde_json::from_str(self.body.pointer("/MessageBody/Message")?.as_str()?).ok()
    }
}

/// One file PUT to the media store.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub uid: String,
    pub file_name: String,
    pub bytes: Bytes,
}

struct Shared {
    app_id: u32,
    secret: String,
    base_url: String,
    contract: Contract,
    captures: Mutex<Vec<Capture>>,
    scripts: Mutex<HashMap<String, VecDeque<Reply>>>,
    registered: Mutex<HashSet<String>>,
    /// The rooms that exist, once [`ServiceDouble::rooms_must_exist`] asked for rooms to be kept.
    rooms: Mutex<Option<HashSet<String>>>,
    files: Mutex<Vec<StoredFile>>,
    next_message: Mutex<u64>,
    /// Woken at every capture, for [`ServiceDouble::wait_until`].
    captured: tokio::sync::Notify,
}

/// The running double; stops when dropped.
pub struct ServiceDouble {
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
}

impl ServiceDouble {
    /// Starts a double for app `app_id` signing with `secret`, on a free loopback port, reading the contract from
    /// the repository's `spec/` folder.
    ///
    /// # Panics
    /// When the spec folder cannot be loaded or no loopback port can be bound (test support: fail loudly).
    pub async fn start(app_id: u32, secret: &str) -> ServiceDouble {
        let contract = match Contract::load_repository() {
            Ok(contract) => contract,
            Err(error) => panic!("the service double needs the spec folder: {error}"),
        };
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(error) => panic!("the service double cannot bind a loopback port: {error}"),
        };
        let base_url = match listener.local_addr() {
            Ok(address) => format!("http://{address}"),
            Err(error) => panic!("the service double's listener has no address: {error}"),
        };
        let shared = Arc::new(Shared {
            app_id,
            secret: secret.to_owned(),
            base_url,
            contract,
            captures: Mutex::default(),
            scripts: Mutex::default(),
            registered: Mutex::default(),
            rooms: Mutex::default(),
            files: Mutex::default(),
            next_message: Mutex::new(6_654_861_479_614),
            captured: tokio::sync::Notify::new(),
        });
        let router = Router::new()
            .route("/", post(server_api))
            .route("/media/{uid}/{file_name}", put(store_file).get(serve_file))
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, router).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = served.await {
                tracing::warn!("the service double stopped: {error}");
            }
        });
        ServiceDouble { shared, stop: Some(stop) }
    }

    /// `http://127.0.0.1:<port>`; the Server API is at `/`, the media store under `/media/`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The upload URL template for zimbot's HTTP PUT media store.
    pub fn media_put_template(&self) -> String {
        format!("{}/media/{{uid}}/{{file_name}}", self.shared.base_url)
    }

    /// Queues `replies` for the next requests of `action`; once they are used up it answers normally again.
    pub fn script(&self, action: &str, replies: impl IntoIterator<Item = Reply>) {
        self.shared.scripts.lock().entry(action.to_owned()).or_default().extend(replies);
    }

    /// From now on, rooms exist only once created: `SendRoomMessage` to any other room is answered 660300001,
    /// `CreateRoom` of an existing room 660300014, as the service does.
    pub fn rooms_must_exist(&self) {
        self.shared.rooms.lock().get_or_insert_with(HashSet::new);
    }

    /// Marks users as registered already, as if an earlier run had registered them.
    pub fn preregister(&self, users: impl IntoIterator<Item = String>) {
        self.shared.registered.lock().extend(users);
    }

    /// Every Server API request so far, in arrival order.
    pub fn captures(&self) -> Vec<Capture> {
        self.shared.captures.lock().clone()
    }

    /// The requests of `action` so far.
    pub fn captures_of(&self, action: &str) -> Vec<Capture> {
        self.captures().into_iter().filter(|capture| capture.action == action).collect()
    }

    /// Waits until `done` holds for the captures so far (checked at once and after every capture), for at most
    /// `patience`; returns whether it came true.
    pub async fn wait_until(&self, patience: Duration, done: impl Fn(&[Capture]) -> bool) -> bool {
        let waiting = async {
            loop {
                // Registered before the check, so a capture between the check and the await is not missed.
                let notified = self.shared.captured.notified();
                if done(&self.captures()) {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(patience, waiting).await.is_ok()
    }

    /// Every file PUT so far.
    pub fn files(&self) -> Vec<StoredFile> {
        self.shared.files.lock().clone()
    }

    /// The contract the double checks against.
    pub fn contract(&self) -> &Contract {
        &self.shared.contract
    }
}

impl Drop for ServiceDouble {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn server_api(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<BTreeMap<String, String>>,
    body: String,
) -> Response {
    let action = query.get("Action").cloned().unwrap_or_default();
    let body: Value = serde_json::from_str(&body).unwrap_or_else(|error| json!({"unparsable": error.to_string()}));
    let signature_ok = signature_ok(&shared, &query);
    let timestamp_ok = timestamp_ok(&query);
    let contract = shared.contract.action(&action);
    let request_errors = contract.map(|contract| contract.request_errors(&body)).unwrap_or_default();
    let reply = if !signature_ok {
        Reply::Documented(Reply::envelope(100_000_005, "signature check failed"))
    } else if !timestamp_ok {
        Reply::Documented(Reply::envelope(100_000_004, "timestamp expired"))
    } else {
        shared.scripts.lock().get_mut(&action).and_then(VecDeque::pop_front).unwrap_or(Reply::Normal)
    };
    let mut capture = Capture {
        action: action.clone(),
        query,
        body: body.clone(),
        signature_ok,
        request_errors,
        answer: None,
        answer_errors: Vec::new(),
        at: Instant::now(),
    };
    let mut reply = reply;
    loop {
        match reply {
            Reply::Slow(delay, inner) => {
                tokio::time::sleep(delay).await;
                reply = *inner;
            }
            Reply::Hang => {
                let index = record(&shared, capture);
                tracing::debug!(index, "the double hangs on purpose");
                std::future::pending::<()>().await;
                unreachable!("a pending future never completes");
            }
            Reply::Status(status, text) => {
                record(&shared, capture);
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return (status, text).into_response();
            }
            Reply::Code(code) => {
                reply = Reply::Documented(Reply::envelope(code, "scripted failure"));
            }
            Reply::Raw(answer) => {
                capture.answer = Some(answer.clone());
                record(&shared, capture);
                return Json(answer).into_response();
            }
            Reply::Normal => {
                reply = Reply::Documented(normal_answer(&shared, &action, &body));
            }
            Reply::Documented(answer) => {
                capture.answer_errors = contract.map(|contract| contract.response_errors(&answer)).unwrap_or_default();
                capture.answer = Some(answer.clone());
                record(&shared, capture);
                return Json(answer).into_response();
            }
        }
    }
}

fn record(shared: &Shared, capture: Capture) -> usize {
    let index = {
        let mut captures = shared.captures.lock();
        captures.push(capture);
        captures.len() - 1
    };
    shared.captured.notify_waiters();
    index
}

fn signature_ok(shared: &Shared, query: &BTreeMap<String, String>) -> bool {
    let text = |name: &str| query.get(name).cloned().unwrap_or_default();
    let (Ok(app_id), Ok(timestamp)) = (text("AppId").parse::<u32>(), text("Timestamp").parse::<i64>()) else {
        return false;
    };
    let signed = SignedQuery {
        action: text("Action"),
        app_id,
        signature_nonce: text("SignatureNonce"),
        timestamp,
        signature_version: text("SignatureVersion"),
        signature: text("Signature"),
    };
    app_id == shared.app_id && signed.signature_version == "2.0" && signed.verify(&shared.secret)
}

/// The service accepts a `Timestamp` within 10 minutes of its own clock.
fn timestamp_ok(query: &BTreeMap<String, String>) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX));
    query
        .get("Timestamp")
        .and_then(|timestamp| timestamp.parse::<i64>().ok())
        .is_some_and(|timestamp| timestamp.abs_diff(now) <= 600)
}

fn next_message_id(shared: &Shared) -> u64 {
    let mut next = shared.next_message.lock();
    *next += 1;
    *next
}

/// The service's documented answer to a well-formed, well-signed request.
fn normal_answer(shared: &Shared, action: &str, body: &Value) -> Value {
    let mut answer = Reply::envelope(0, "success");
    match action {
        "SendPeerMessage" => {
            let receivers = body["ToUserId"].as_array().cloned().unwrap_or_default();
            let succ: Vec<Value> = receivers
                .into_iter()
                .map(|user| {
                    let id = next_message_id(shared);
                    json!({"UserId": user, "MsgId": id.to_string(), "MsgSeq": id % 1000})
                })
                .collect();
            answer["SuccList"] = Value::Array(succ);
            answer["ErrorList"] = json!([]);
        }
        "SendGroupMessage" => {
            let id = next_message_id(shared);
            answer["MsgId"] = json!(id);
            answer["MsgSeq"] = json!(id % 1000);
        }
        "RobotRegister" | "UserRegister" => {
            let users: Vec<String> = body["UserInfo"]
                .as_array()
                .map(|users| users.iter().filter_map(|user| user["UserId"].as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            let mut registered = shared.registered.lock();
            let existing: Vec<&String> = users.iter().filter(|user| registered.contains(*user)).collect();
            answer["ErrorList"] = Value::Array(
                existing
                    .iter()
                    .map(|user| json!({"UserId": user, "SubCode": 660_700_002, "SubMessage": "Bot already exists"}))
                    .collect(),
            );
            if !users.is_empty() && existing.len() == users.len() {
                answer["Code"] = json!(660_700_002);
                answer["Message"] = json!("all users already exist");
            }
            registered.extend(users);
        }
        "SendRoomMessage" | "CreateRoom" => {
            let room = body["RoomId"].as_str().unwrap_or_default().to_owned();
            if let Some(rooms) = shared.rooms.lock().as_mut() {
                if action == "CreateRoom" && !rooms.insert(room.clone()) {
                    answer = Reply::envelope(660_300_014, "room already exists");
                } else if action == "SendRoomMessage" && !rooms.contains(&room) {
                    answer = Reply::envelope(660_300_001, "room does not exist");
                }
            }
        }
        "CreateGroup" | "InviteUsersIntoGroup" => {}
        _ => {
            answer = Reply::envelope(660_000_002, &format!("the double does not know the action '{action}'"));
        }
    }
    answer
}

async fn store_file(
    State(shared): State<Arc<Shared>>,
    Path((uid, file_name)): Path<(String, String)>,
    body: Body,
) -> Response {
    let bytes = match axum::body::to_bytes(body, 64 * 1024 * 1024).await {
        Ok(bytes) => bytes,
        Err(error) => return (StatusCode::BAD_REQUEST, format!("upload broken off: {error}")).into_response(),
    };
    shared.files.lock().push(StoredFile { uid, file_name, bytes });
    StatusCode::CREATED.into_response()
}

async fn serve_file(State(shared): State<Arc<Shared>>, Path((uid, file_name)): Path<(String, String)>) -> Response {
    let files = shared.files.lock();
    match files.iter().rev().find(|file| file.uid == uid && file.file_name == file_name) {
        Some(file) => file.bytes.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
