//! A real SMTP server on loopback for the tests: it speaks enough SMTP for lettre and keeps what it receives.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Clone, Default)]
pub struct SmtpSink {
    messages: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
}

/// A port nobody listens on (yet): an SMTP server that is down.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl SmtpSink {
    pub async fn start() -> (Self, u16) {
        let port = free_port();
        (Self::start_on(port).await, port)
    }

    pub async fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let sink = Self::default();
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(stream).await;
                });
            }
        });
        sink
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink ESMTP\r\n").await?;
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let cmd = line.trim_end().to_ascii_uppercase();
            if cmd.starts_with("EHLO") {
                write.write_all(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n").await?;
            } else if cmd.starts_with("HELO")
                || cmd.starts_with("MAIL FROM")
                || cmd.starts_with("RSET")
                || cmd.starts_with("NOOP")
            {
                write.write_all(b"250 OK\r\n").await?;
            } else if cmd.starts_with("RCPT TO") {
                to.push(line.trim_end()[8..].trim().trim_matches(|c| c == '<' || c == '>').to_owned());
                write.write_all(b"250 OK\r\n").await?;
            } else if cmd == "DATA" {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
                }
                self.messages.lock().unwrap().push(Received { to: std::mem::take(&mut to), data });
                self.arrived.notify_waiters();
                write.write_all(b"250 queued\r\n").await?;
            } else if cmd == "QUIT" {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                write.write_all(b"502 not implemented\r\n").await?;
            }
        }
    }

    pub fn messages(&self) -> Vec<Received> {
        self.messages.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until `n` messages have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let notified = self.arrived.notified();
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("expected {n} emails, got {}: {got:?}", self.messages().len());
            }
        }
    }
}

/// The message's text as a reader sees it: quoted-printable soft breaks joined and `=3D` decoded.
pub fn decoded(data: &str) -> String {
    data.replace("=\r\n", "").replace("=3D", "=")
}

/// The registration link in an invitation email.
pub fn invitation_link(data: &str) -> String {
    let text = decoded(data);
    let start = text.find("http").expect("no link in the email");
    let link: String = text[start..].chars().take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<').collect();
    assert!(link.contains("/register?token=pdi_"), "{link}");
    link
}

pub fn token_of(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_owned()
}
