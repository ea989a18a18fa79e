//! Input encoding for a session: keys, paste and mouse, as xterm sends them (SPEC 5.3).
//!
//! Keys go through `terminput` (xterm legacy encoding) with two fix-ups it lacks:
//! application cursor mode (DECCKM: unmodified arrows and Home/End become `ESC O x`) and the
//! control characters that are not letters (`Ctrl-@ [ \ ] ^ _ ?`). Paste is wrapped in
//! `ESC [200~ ... ESC [201~` only when the program asked for bracketed paste; otherwise line
//! feeds become carriage returns, as a terminal types them. Mouse events are encoded by the
//! mode and encoding the program asked for (X10, normal, button-motion, any-motion; default,
//! UTF-8 or SGR coordinates).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use vt100_18::{MouseProtocolEncoding, MouseProtocolMode};

/// The terminal modes that change how input is encoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputModes {
    pub application_cursor: bool,
    pub bracketed_paste: bool,
    pub mouse_mode: MouseMode,
    pub mouse_encoding: MouseEncoding,
}

/// Which mouse events the program asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MouseMode {
    #[default]
    None,
    /// X10: presses only.
    Press,
    /// Presses and releases (1000).
    PressRelease,
    /// Plus motion while a button is held (1002).
    ButtonMotion,
    /// Plus every motion (1003).
    AnyMotion,
}

/// How mouse coordinates are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MouseEncoding {
    #[default]
    Default,
    Utf8,
    Sgr,
}

impl InputModes {
    /// Read the modes from a vt100 screen.
    pub fn of(screen: &vt100_18::Screen) -> InputModes {
        InputModes {
            application_cursor: screen.application_cursor(),
            bracketed_paste: screen.bracketed_paste(),
            mouse_mode: match screen.mouse_protocol_mode() {
                MouseProtocolMode::None => MouseMode::None,
                MouseProtocolMode::Press => MouseMode::Press,
                MouseProtocolMode::PressRelease => MouseMode::PressRelease,
                MouseProtocolMode::ButtonMotion => MouseMode::ButtonMotion,
                MouseProtocolMode::AnyMotion => MouseMode::AnyMotion,
            },
            mouse_encoding: match screen.mouse_protocol_encoding() {
                MouseProtocolEncoding::Default => MouseEncoding::Default,
                MouseProtocolEncoding::Utf8 => MouseEncoding::Utf8,
                MouseProtocolEncoding::Sgr => MouseEncoding::Sgr,
            },
        }
    }
}

/// Encode a key press as xterm does; `None` for keys a terminal does not send (releases,
/// modifier-only keys, media keys).
pub fn encode_key(key: KeyEvent, modes: InputModes) -> Option<Vec<u8>> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let m = key.modifiers;
    let ctrl = m.contains(KeyModifiers::CONTROL);
    let alt = m.contains(KeyModifiers::ALT);
    // Control characters terminput does not produce.
    if let KeyCode::Char(c) = key.code
        && ctrl
    {
        let byte = match c {
            '@' | '2' => Some(0x00),
            '[' | '3' => Some(0x1b),
            '\\' => Some(0x1c),
            ']' => Some(0x1d),
            '^' | '~' => Some(0x1e),
            '_' | '-' | '/' => Some(0x1f),
            '?' | '8' => Some(0x7f),
            _ => None,
        };
        if let Some(b) = byte {
            return Some(if alt { vec![0x1b, b] } else { vec![b] });
        }
    }
    // Application cursor mode: unmodified cursor keys and Home/End use SS3.
    if modes.application_cursor && m.is_empty() {
        let final_byte = match key.code {
            KeyCode::Up => Some(b'A'),
            KeyCode::Down => Some(b'B'),
            KeyCode::Right => Some(b'C'),
            KeyCode::Left => Some(b'D'),
            KeyCode::Home => Some(b'H'),
            KeyCode::End => Some(b'F'),
            _ => None,
        };
        if let Some(f) = final_byte {
            return Some(vec![0x1b, b'O', f]);
        }
    }
    // crossterm reports Shift-Tab as BackTab.
    let key = match key.code {
        KeyCode::BackTab => KeyEvent::new_with_kind(KeyCode::Tab, m | KeyModifiers::SHIFT, KeyEventKind::Press),
        _ => KeyEvent::new_with_kind(key.code, m, KeyEventKind::Press),
    };
    let ev = terminput_crossterm::to_terminput_key(key).ok()?;
    let mut buf = [0u8; 32];
    let n = terminput::Event::Key(ev)
        .encode(&mut buf, terminput::Encoding::Xterm)
        .ok()?;
    (n > 0).then(|| buf[..n].to_vec())
}

/// Encode pasted text: bracketed when the program asked for it, line feeds as carriage
/// returns otherwise. Escape characters in the text are dropped from a bracketed paste so it
/// cannot end the bracket early.
pub fn encode_paste(text: &str, modes: InputModes) -> Vec<u8> {
    if modes.bracketed_paste {
        let mut out = Vec::with_capacity(text.len() + 12);
        out.extend_from_slice(b"\x1b[200~");
        out.extend(text.bytes().filter(|&b| b != 0x1b));
        out.extend_from_slice(b"\x1b[201~");
        out
    } else {
        let t = text.replace("\r\n", "\r").replace('\n', "\r");
        t.into_bytes()
    }
}

/// Encode a mouse event at (col, row) inside the pane (0-based) for the program's mouse
/// mode; `None` when the program did not ask for this kind of event.
pub fn encode_mouse(ev: &MouseEvent, col: u16, row: u16, modes: InputModes) -> Option<Vec<u8>> {
    let mode = modes.mouse_mode;
    if mode == MouseMode::None {
        return None;
    }
    let button_code = |b: MouseButton| match b {
        MouseButton::Left => 0u16,
        MouseButton::Middle => 1,
        MouseButton::Right => 2,
    };
    let (mut code, release) = match ev.kind {
        MouseEventKind::Down(b) => (button_code(b), false),
        MouseEventKind::Up(b) => {
            if mode == MouseMode::Press {
                return None;
            }
            // Legacy encodings cannot say which button was released.
            let c = if modes.mouse_encoding == MouseEncoding::Sgr {
                button_code(b)
            } else {
                3
            };
            (c, true)
        }
        MouseEventKind::Drag(b) => {
            if !matches!(mode, MouseMode::ButtonMotion | MouseMode::AnyMotion) {
                return None;
            }
            (button_code(b) + 32, false)
        }
        MouseEventKind::Moved => {
            if mode != MouseMode::AnyMotion {
                return None;
            }
            (3 + 32, false)
        }
        MouseEventKind::ScrollUp => (64, false),
        MouseEventKind::ScrollDown => (65, false),
        MouseEventKind::ScrollLeft => (66, false),
        MouseEventKind::ScrollRight => (67, false),
    };
    if mode != MouseMode::Press {
        if ev.modifiers.contains(KeyModifiers::SHIFT) {
            code += 4;
        }
        if ev.modifiers.contains(KeyModifiers::ALT) {
            code += 8;
        }
        if ev.modifiers.contains(KeyModifiers::CONTROL) {
            code += 16;
        }
    }
    let (x, y) = (u32::from(col) + 1, u32::from(row) + 1);
    match modes.mouse_encoding {
        MouseEncoding::Sgr => Some(format!("\x1b[<{code};{x};{y}{}", if release { 'm' } else { 'M' }).into_bytes()),
        MouseEncoding::Default => {
            // One byte per value; positions past 223 cannot be reported.
            if x > 223 || y > 223 {
                return None;
            }
            Some(vec![
                0x1b,
                b'[',
                b'M',
                (32 + code) as u8,
                (32 + x) as u8,
                (32 + y) as u8,
            ])
        }
        MouseEncoding::Utf8 => {
            let mut out = b"\x1b[M".to_vec();
            for v in [u32::from(32 + code), 32 + x, 32 + y] {
                let c = char::from_u32(v.min(2047))?;
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
            Some(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }
    fn km(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }
    fn enc(e: KeyEvent) -> Vec<u8> {
        encode_key(e, InputModes::default()).unwrap_or_else(|| panic!("no encoding for {e:?}"))
    }
    fn app() -> InputModes {
        InputModes {
            application_cursor: true,
            ..Default::default()
        }
    }

    #[test]
    fn arrows_normal_and_application_mode() {
        assert_eq!(enc(k(KeyCode::Up)), b"\x1b[A");
        assert_eq!(enc(k(KeyCode::Down)), b"\x1b[B");
        assert_eq!(enc(k(KeyCode::Right)), b"\x1b[C");
        assert_eq!(enc(k(KeyCode::Left)), b"\x1b[D");
        assert_eq!(encode_key(k(KeyCode::Up), app()).unwrap(), b"\x1bOA");
        assert_eq!(encode_key(k(KeyCode::Down), app()).unwrap(), b"\x1bOB");
        assert_eq!(encode_key(k(KeyCode::Right), app()).unwrap(), b"\x1bOC");
        assert_eq!(encode_key(k(KeyCode::Left), app()).unwrap(), b"\x1bOD");
        assert_eq!(encode_key(k(KeyCode::Home), app()).unwrap(), b"\x1bOH");
        assert_eq!(encode_key(k(KeyCode::End), app()).unwrap(), b"\x1bOF");
        // Modified arrows keep the CSI form in application mode, as in xterm.
        assert_eq!(
            encode_key(km(KeyCode::Up, KeyModifiers::CONTROL), app()).unwrap(),
            b"\x1b[1;5A"
        );
    }

    #[test]
    fn home_end_pages_insert_delete() {
        assert_eq!(enc(k(KeyCode::Home)), b"\x1b[H");
        assert_eq!(enc(k(KeyCode::End)), b"\x1b[F");
        assert_eq!(enc(k(KeyCode::PageUp)), b"\x1b[5~");
        assert_eq!(enc(k(KeyCode::PageDown)), b"\x1b[6~");
        assert_eq!(enc(k(KeyCode::Insert)), b"\x1b[2~");
        assert_eq!(enc(k(KeyCode::Delete)), b"\x1b[3~");
        assert_eq!(enc(km(KeyCode::PageUp, KeyModifiers::SHIFT)), b"\x1b[5;2~");
        assert_eq!(enc(km(KeyCode::Delete, KeyModifiers::CONTROL)), b"\x1b[3;5~");
    }

    #[test]
    fn function_keys() {
        let want: [&[u8]; 12] = [
            b"\x1bOP",
            b"\x1bOQ",
            b"\x1bOR",
            b"\x1bOS",
            b"\x1b[15~",
            b"\x1b[17~",
            b"\x1b[18~",
            b"\x1b[19~",
            b"\x1b[20~",
            b"\x1b[21~",
            b"\x1b[23~",
            b"\x1b[24~",
        ];
        for (i, w) in want.iter().enumerate() {
            assert_eq!(enc(k(KeyCode::F(i as u8 + 1))), *w, "F{}", i + 1);
        }
        assert_eq!(enc(km(KeyCode::F(1), KeyModifiers::SHIFT)), b"\x1b[1;2P");
        assert_eq!(enc(km(KeyCode::F(5), KeyModifiers::CONTROL)), b"\x1b[15;5~");
    }

    #[test]
    fn ctrl_and_alt() {
        assert_eq!(enc(km(KeyCode::Char('c'), KeyModifiers::CONTROL)), [0x03]);
        assert_eq!(enc(km(KeyCode::Char('a'), KeyModifiers::CONTROL)), [0x01]);
        assert_eq!(enc(km(KeyCode::Char('z'), KeyModifiers::CONTROL)), [0x1a]);
        assert_eq!(enc(km(KeyCode::Char(' '), KeyModifiers::CONTROL)), [0x00]);
        assert_eq!(enc(km(KeyCode::Char('@'), KeyModifiers::CONTROL)), [0x00]);
        assert_eq!(enc(km(KeyCode::Char('['), KeyModifiers::CONTROL)), [0x1b]);
        assert_eq!(enc(km(KeyCode::Char('\\'), KeyModifiers::CONTROL)), [0x1c]);
        assert_eq!(enc(km(KeyCode::Char('_'), KeyModifiers::CONTROL)), [0x1f]);
        assert_eq!(enc(km(KeyCode::Char('x'), KeyModifiers::ALT)), b"\x1bx");
        assert_eq!(
            enc(km(KeyCode::Char('x'), KeyModifiers::ALT | KeyModifiers::CONTROL)),
            [0x1b, 0x18]
        );
        assert_eq!(enc(km(KeyCode::Char('B'), KeyModifiers::SHIFT)), b"B");
        assert_eq!(enc(km(KeyCode::Left, KeyModifiers::CONTROL)), b"\x1b[1;5D");
        assert_eq!(enc(km(KeyCode::Right, KeyModifiers::CONTROL)), b"\x1b[1;5C");
        assert_eq!(enc(km(KeyCode::Up, KeyModifiers::ALT)), b"\x1b[1;3A");
        assert_eq!(enc(km(KeyCode::Down, KeyModifiers::SHIFT)), b"\x1b[1;2B");
    }

    #[test]
    fn plain_keys_and_utf8() {
        assert_eq!(enc(k(KeyCode::Enter)), b"\r");
        assert_eq!(enc(k(KeyCode::Tab)), b"\t");
        assert_eq!(enc(k(KeyCode::BackTab)), b"\x1b[Z");
        assert_eq!(enc(k(KeyCode::Backspace)), [0x7f]);
        assert_eq!(enc(k(KeyCode::Esc)), [0x1b]);
        assert_eq!(enc(k(KeyCode::Char('é'))), "é".as_bytes());
        assert_eq!(enc(k(KeyCode::Char('日'))), "日".as_bytes());
        assert_eq!(enc(k(KeyCode::Char('😀'))), "😀".as_bytes());
        let release = KeyEvent::new_with_kind(KeyCode::Char('a'), KeyModifiers::NONE, KeyEventKind::Release);
        assert_eq!(encode_key(release, InputModes::default()), None);
    }

    #[test]
    fn paste_bracketed_only_when_asked() {
        let bp = InputModes {
            bracketed_paste: true,
            ..Default::default()
        };
        assert_eq!(encode_paste("ls\nwc", bp), b"\x1b[200~ls\nwc\x1b[201~");
        assert_eq!(encode_paste("a\x1b[201~b", bp), b"\x1b[200~a[201~b\x1b[201~");
        assert_eq!(encode_paste("ls\nwc\r\n", InputModes::default()), b"ls\rwc\r");
    }

    #[test]
    fn mouse_by_mode_and_encoding() {
        let ev = |kind| MouseEvent {
            kind,
            column: 0,
            row: 0,
            modifiers: KeyModifiers::NONE,
        };
        let down = ev(MouseEventKind::Down(MouseButton::Left));
        let up = ev(MouseEventKind::Up(MouseButton::Left));
        let none = InputModes::default();
        assert_eq!(encode_mouse(&down, 4, 2, none), None);
        let sgr = InputModes {
            mouse_mode: MouseMode::PressRelease,
            mouse_encoding: MouseEncoding::Sgr,
            ..Default::default()
        };
        assert_eq!(encode_mouse(&down, 4, 2, sgr).unwrap(), b"\x1b[<0;5;3M");
        assert_eq!(encode_mouse(&up, 4, 2, sgr).unwrap(), b"\x1b[<0;5;3m");
        assert_eq!(
            encode_mouse(&ev(MouseEventKind::ScrollUp), 0, 0, sgr).unwrap(),
            b"\x1b[<64;1;1M"
        );
        assert_eq!(encode_mouse(&ev(MouseEventKind::Moved), 0, 0, sgr), None);
        let legacy = InputModes {
            mouse_mode: MouseMode::PressRelease,
            ..Default::default()
        };
        assert_eq!(
            encode_mouse(&down, 4, 2, legacy).unwrap(),
            [0x1b, b'[', b'M', 32, 37, 35]
        );
        assert_eq!(encode_mouse(&up, 4, 2, legacy).unwrap(), [0x1b, b'[', b'M', 35, 37, 35]);
        let x10 = InputModes {
            mouse_mode: MouseMode::Press,
            ..Default::default()
        };
        assert_eq!(encode_mouse(&up, 4, 2, x10), None);
        let any = InputModes {
            mouse_mode: MouseMode::AnyMotion,
            mouse_encoding: MouseEncoding::Sgr,
            ..Default::default()
        };
        assert_eq!(
            encode_mouse(&ev(MouseEventKind::Moved), 1, 1, any).unwrap(),
            b"\x1b[<35;2;2M"
        );
    }
}
