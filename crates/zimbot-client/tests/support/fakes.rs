//! In-memory transport and media store for tests on virtual time: they record when each send started and
//! answer from a script, and uploads can be held until a test releases them.

use async_trait::async_trait;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use zimbot_client::{MediaStore, OutboundMessage, ProgressCallback, SendReceipt, Transport, UploadRequest};
use zimbot_model::{ConversationType, ZimCode, ZimError};
use zimbot_wire::RegisterUserInfo;

/// One send attempt the transport saw.
#[derive(Debug, Clone)]
pub struct Start {
    pub at: Instant,
    pub from: String,
    pub to: String,
    pub conversation_type: ConversationType,
    /// The text, or for media the `MessageBody.Message` JSON.
    pub body: String,
}

/// Records every attempt; answers from a script (then success). Bodies containing "hang" never get an answer.
#[derive(Default)]
pub struct FakeTransport {
    starts: Mutex<Vec<Start>>,
    script: Mutex<VecDeque<ZimError>>,
    /// When each `register_bots` call came, and how many bots it carried.
    registers: Mutex<Vec<(Instant, usize)>>,
    register_script: Mutex<VecDeque<ZimError>>,
    pub latency: Duration,
}

impl FakeTransport {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Makes the next attempts fail with these codes, in order.
    pub fn fail_next(&self, codes: impl IntoIterator<Item = ZimCode>) {
        self.script.lock().unwrap().extend(codes.into_iter().map(|code| ZimError::new(code, "scripted")));
    }

    /// Makes the next registration calls fail with these codes, in order.
    pub fn fail_next_registers(&self, codes: impl IntoIterator<Item = ZimCode>) {
        self.register_script.lock().unwrap().extend(codes.into_iter().map(|code| ZimError::new(code, "scripted")));
    }

    pub fn registers(&self) -> Vec<(Instant, usize)> {
        self.registers.lock().unwrap().clone()
    }

    pub fn starts(&self) -> Vec<Start> {
        self.starts.lock().unwrap().clone()
    }

    pub fn bodies(&self) -> Vec<String> {
        self.starts().into_iter().map(|start| start.body).collect()
    }
}

#[async_trait]
impl Transport for FakeTransport {
    async fn send_message(&self, message: &OutboundMessage) -> Result<SendReceipt, ZimError> {
        self.starts.lock().unwrap().push(Start {
            at: Instant::now(),
            from: message.from.to_string(),
            to: message.to.to_string(),
            conversation_type: message.conversation_type,
            body: message.body.message.clone(),
        });
        if message.body.message.contains("hang") {
            std::future::pending::<()>().await;
        }
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        if let Some(error) = self.script.lock().unwrap().pop_front() {
            return Err(error);
        }
        Ok(SendReceipt { message_id: Some("m".into()), message_seq: Some(1) })
    }

    async fn register_bots(&self, bots: &[RegisterUserInfo]) -> Result<(), ZimError> {
        self.registers.lock().unwrap().push((Instant::now(), bots.len()));
        match self.register_script.lock().unwrap().pop_front() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// Stores instantly, except files whose name has a gate: those wait until the gate opens.
#[derive(Default)]
pub struct GatedStore {
    gates: Mutex<HashMap<String, Arc<Notify>>>,
    completed: Mutex<Vec<String>>,
}

impl GatedStore {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Holds uploads of `file_name` until [`Self::open`].
    pub fn gate(&self, file_name: &str) {
        self.gates.lock().unwrap().insert(file_name.to_owned(), Arc::new(Notify::new()));
    }

    pub fn open(&self, file_name: &str) {
        if let Some(gate) = self.gates.lock().unwrap().get(file_name) {
            gate.notify_one();
        }
    }

    pub fn completed(&self) -> Vec<String> {
        self.completed.lock().unwrap().clone()
    }
}

#[async_trait]
impl MediaStore for GatedStore {
    async fn upload(&self, request: &UploadRequest, progress: ProgressCallback) -> Result<String, ZimError> {
        let gate = self.gates.lock().unwrap().get(&request.file_name).cloned();
        progress(request.size / 2);
        if let Some(gate) = gate {
            gate.notified().await;
        }
        progress(request.size);
        self.completed.lock().unwrap().push(request.file_name.clone());
        Ok(format!("http://store.invalid/{}/{}", request.uid, request.file_name))
    }
}

/// A file of `size` bytes in `directory` (sparse: no disk used).
pub fn sparse_file(directory: &tempfile::TempDir, name: &str, size: u64) -> std::path::PathBuf {
    let path = directory.path().join(name);
    // A PNG header first, so that the file also passes as an image (the client reads an image's pixel size).
    let header = super::images::png(1, 1);
    std::fs::write(&path, &header[..header.len().min(size as usize)]).unwrap();
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(size).unwrap();
    path
}
