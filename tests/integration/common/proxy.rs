//! A unix-socket forwarder in front of a real engine's socket, so a test can make the engine
//! "go away" (every connection cut, the socket gone) and "come back" without touching the
//! shared engine.

use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A unix-socket forwarder in front of the real Docker socket, so a test can make the engine
/// "go away" and "come back" without touching the shared engine.
pub struct Proxy {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<UnixStream>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    pub fn start(path: &Path, upstream: &str) -> Proxy {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let conns = Arc::new(Mutex::new(Vec::new()));
        let (st, cs, up) = (stop.clone(), conns.clone(), upstream.to_string());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = UnixStream::connect(&up) else { continue };
                        let mut c = cs.lock().unwrap();
                        c.push(client.try_clone().unwrap());
                        c.push(server.try_clone().unwrap());
                        let (mut a, mut b) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut a, &mut b);
                            let _ = b.shutdown(std::net::Shutdown::Write);
                        });
                        let (mut a, mut b) = (server, client);
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut a, &mut b);
                            let _ = b.shutdown(std::net::Shutdown::Write);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Proxy {
            path: path.to_path_buf(),
            stop,
            conns,
            thread: Some(thread),
        }
    }

    /// Close the socket and cut every open connection.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A [`Proxy`] on a socket in its own temporary folder in front of an engine's unix socket:
/// point boxdeck at [`CuttableEngine::url`], then [`cut`](CuttableEngine::cut) and
/// [`restore`](CuttableEngine::restore) the engine as the test needs.
pub struct CuttableEngine {
    pub url: String,
    sock: PathBuf,
    upstream: String,
    proxy: Option<Proxy>,
    _dir: tempfile::TempDir,
}

impl CuttableEngine {
    pub fn new(engine_url: &str) -> CuttableEngine {
        let upstream = engine_url
            .strip_prefix("unix://")
            .expect("an engine on a unix socket")
            .to_string();
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("engine.sock");
        let proxy = Some(Proxy::start(&sock, &upstream));
        CuttableEngine {
            url: format!("unix://{}", sock.display()),
            sock,
            upstream,
            proxy,
            _dir: dir,
        }
    }

    /// The engine goes away: every connection cut, the socket gone.
    pub fn cut(&mut self) {
        if let Some(mut p) = self.proxy.take() {
            p.stop();
        }
    }

    /// The engine comes back on the same socket.
    pub fn restore(&mut self) {
        if self.proxy.is_none() {
            self.proxy = Some(Proxy::start(&self.sock, &self.upstream));
        }
    }
}
