//! The browser end of the `/tunnel` WebSocket.
//!
//! [`Tunnel::open`] connects, sends the [`TunnelRequest`], and waits for the server's
//! [`TunnelReply`]; after that, [`Tunnel::send`] and [`Tunnel::recv`] carry the mail
//! protocol's raw bytes. The browser's WebSocket API has no backpressure on receive,
//! so received frames queue here until the protocol engine takes them.

use futures_channel::mpsc;
use futures_util::StreamExt;
use js_sys::{ArrayBuffer, Uint8Array};
use postern_shared::tunnel::{CloseReason, ErrorCode, TlsMode, TunnelReply, TunnelRequest};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

/// Why a tunnel could not be opened or went away.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TunnelError {
    #[error("cannot reach the Postern server")]
    Unreachable,
    #[error("{message}")]
    Refused { code: ErrorCode, message: String },
    #[error("the Postern server answered something unexpected: {0}")]
    Protocol(String),
    #[error("the session ended ({})", reason.map(|r| r.as_str()).unwrap_or("connection lost"))]
    Closed { reason: Option<CloseReason> },
}

enum Event {
    Open,
    Text(String),
    Binary(Vec<u8>),
    Closed { reason: String },
}

/// An accepted tunnel.
pub struct Tunnel {
    socket: WebSocket,
    events: mpsc::UnboundedReceiver<Event>,
    /// How the server reaches the upstream (the browser sees plaintext either way).
    pub tls: TlsMode,
    // The JavaScript callbacks must live as long as the socket.
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Tunnel {
    /// The tunnel URL of the server that served this page.
    pub fn url_for_this_page() -> Result<String, JsValue> {
        let location = web_sys::window().ok_or("no window")?.location();
        let scheme = if location.protocol()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        Ok(format!("{scheme}://{}/tunnel", location.host()?))
    }

    pub async fn open(url: &str, request: &TunnelRequest) -> Result<Tunnel, TunnelError> {
        let socket = WebSocket::new(url).map_err(|_| TunnelError::Unreachable)?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let (sender, mut events) = mpsc::unbounded();

        let open_sender = sender.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            let _ = open_sender.unbounded_send(Event::Open);
        });
        let message_sender = sender.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let event = if let Some(text) = data.as_string() {
                Event::Text(text)
            } else if let Ok(buffer) = data.dyn_into::<ArrayBuffer>() {
                Event::Binary(Uint8Array::new(&buffer).to_vec())
            } else {
                return;
            };
            let _ = message_sender.unbounded_send(event);
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            let _ = sender.unbounded_send(Event::Closed {
                reason: event.reason(),
            });
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));

        match events.next().await {
            Some(Event::Open) => {}
            _ => return Err(TunnelError::Unreachable),
        }
        socket
            .send_with_str(&request.to_json())
            .map_err(|_| TunnelError::Unreachable)?;
        let reply = match events.next().await {
            Some(Event::Text(text)) => {
                TunnelReply::from_json(&text).map_err(|e| TunnelError::Protocol(e.to_string()))?
            }
            Some(Event::Closed { reason }) => {
                return Err(TunnelError::Closed {
                    reason: CloseReason::from_reason(&reason),
                });
            }
            Some(_) => return Err(TunnelError::Protocol("binary data before the reply".into())),
            None => return Err(TunnelError::Unreachable),
        };
        let tls = match reply {
            TunnelReply::Accepted { tls, .. } => tls,
            TunnelReply::Refused { error, message } => {
                socket.close().ok();
                return Err(TunnelError::Refused {
                    code: error,
                    message,
                });
            }
        };
        Ok(Tunnel {
            socket,
            events,
            tls,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// A handle that closes this tunnel from elsewhere (the reader then sees it end).
    pub fn closer(&self) -> TunnelCloser {
        TunnelCloser(self.socket.clone())
    }

    /// Sends raw protocol bytes to the mail server.
    pub fn send(&self, bytes: &[u8]) -> Result<(), TunnelError> {
        self.socket
            .send_with_u8_array(bytes)
            .map_err(|_| TunnelError::Closed { reason: None })
    }

    /// The next bytes from the mail server, in order.
    pub async fn recv(&mut self) -> Result<Vec<u8>, TunnelError> {
        match self.events.next().await {
            Some(Event::Binary(bytes)) => Ok(bytes),
            Some(Event::Closed { reason }) => Err(TunnelError::Closed {
                reason: CloseReason::from_reason(&reason),
            }),
            Some(Event::Text(_) | Event::Open) => Err(TunnelError::Protocol(
                "a text frame inside the session".into(),
            )),
            None => Err(TunnelError::Closed { reason: None }),
        }
    }

    /// Reads until a full CRLF-terminated line has arrived; returns everything read.
    pub async fn recv_line(&mut self) -> Result<Vec<u8>, TunnelError> {
        let mut received = Vec::new();
        while !received.ends_with(b"\r\n") {
            received.extend(self.recv().await?);
        }
        Ok(received)
    }
}

/// A handle on a tunnel that another task is reading: to close it, or to see how
/// much of what was sent is still waiting in the browser (for progress bars).
pub struct TunnelCloser(WebSocket);

impl TunnelCloser {
    pub fn close(&self) {
        let _ = self.0.close();
    }

    /// Bytes sent but not yet handed to the network.
    pub fn unsent_bytes(&self) -> u32 {
        self.0.buffered_amount()
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}
