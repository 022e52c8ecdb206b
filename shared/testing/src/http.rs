//! A fake HTTP endpoint on a free loopback port: each request's path and body go to a handler,
//! whose answer is sent back. It serves on its own threads, so sync and async tests use it
//! alike, and a handler may sleep to play a slow service.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

/// An answer: HTTP status line (`"200 OK"`), extra headers, JSON body.
pub type Reply = (&'static str, Vec<(&'static str, &'static str)>, String);

/// Answers a request from its path and body.
pub type Handler = Arc<dyn Fn(&str, &str) -> Reply + Send + Sync>;

/// Serves `handler` until the test process ends; gives the endpoint's origin
/// (`http://127.0.0.1:<port>`).
pub fn serve(handler: Handler) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(mut socket) = socket else { return };
            let handler = Arc::clone(&handler);
            std::thread::spawn(move || {
                let Some((path, body)) = read_request(&mut socket) else {
                    return;
                };
                let (status, headers, reply) = handler(&path, &body);
                let mut response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n",
                    reply.len()
                );
                for (name, value) in headers {
                    response.push_str(&format!("{name}: {value}\r\n"));
                }
                response.push_str("\r\n");
                response.push_str(&reply);
                let _ = socket.write_all(response.as_bytes());
            });
        }
    });
    origin
}

/// Reads one request: its path and body (`None` if the peer hung up first).
fn read_request(socket: &mut TcpStream) -> Option<(String, String)> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let read = socket.read(&mut chunk).ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
        let length = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        if buffer.len() >= end + 4 + length {
            let path = head.split(' ').nth(1)?.to_owned();
            let body = String::from_utf8_lossy(&buffer[end + 4..end + 4 + length]).into_owned();
            return Some((path, body));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_each_request_from_its_path_and_body() {
        let origin = serve(Arc::new(|path: &str, body: &str| {
            (
                "201 Created",
                vec![("x-seen", "yes")],
                format!("{{\"path\":\"{path}\",\"body\":{body}}}"),
            )
        }));
        let mut socket = TcpStream::connect(origin.trim_start_matches("http://")).unwrap();
        let body = r#"{"a":1}"#;
        let request = format!(
            "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        socket.read_to_string(&mut response).unwrap();
        assert!(
            response.starts_with("HTTP/1.1 201 Created\r\n"),
            "{response}"
        );
        assert!(response.contains("\r\nx-seen: yes\r\n"), "{response}");
        assert!(
            response.ends_with(r#"{"path":"/2015-03-31/functions/f/invocations","body":{"a":1}}"#),
            "{response}"
        );
    }
}
