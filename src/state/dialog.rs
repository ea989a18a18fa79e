//! Dialog state (SPEC 4.5). Each dialog has a draw function in `views/` and a key handler in
//! `app::handlers`.

use crate::app::msg::{Action, Target};

/// A text field with a cursor (byte index at a char boundary).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextInput {
    pub text: String,
    pub cursor: usize,
}

impl TextInput {
    pub fn new(text: &str) -> TextInput {
        TextInput {
            text: text.to_string(),
            cursor: text.len(),
        }
    }

    pub fn insert(&mut self, c: char) {
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
    }

    pub fn backspace(&mut self) {
        if let Some(c) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= c.len_utf8();
            self.text.remove(self.cursor);
        }
    }

    pub fn left(&mut self) {
        if let Some(c) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= c.len_utf8();
        }
    }

    pub fn right(&mut self) {
        if let Some(c) = self.text[self.cursor..].chars().next() {
            self.cursor += c.len_utf8();
        }
    }
}

/// "Are you sure?": `y`/`Enter` sends `on_yes`, `n`/`Esc` cancels.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    pub on_yes: Action,
}

/// The create dialog's fields, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateField {
    Profile,
    Name,
    Persist,
    Project,
    Engine,
}

impl CreateField {
    pub const ORDER: [CreateField; 5] = [
        CreateField::Profile,
        CreateField::Name,
        CreateField::Persist,
        CreateField::Project,
        CreateField::Engine,
    ];
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateDialog {
    pub profiles: Vec<String>,
    pub profile: usize,
    /// Empty: a generated name.
    pub name: TextInput,
    pub persist: bool,
    /// Empty: no project.
    pub project: TextInput,
    pub engines: Vec<String>,
    pub engine: usize,
    pub focus: CreateField,
    /// Validation error shown inside the dialog.
    pub error: Option<String>,
}

/// Run a command in the targets.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDialog {
    pub targets: Vec<Target>,
    pub command: TextInput,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    Confirm(Confirm),
    Create(CreateDialog),
    Run(RunDialog),
    /// Fan-out results (issue 5), filled in as each sandbox finishes.
    Fanout(crate::procview::FanoutView),
    /// Prune preview, progress and summary (issue 6).
    Prune(crate::views::prune::PruneView),
    /// Save the log pane to a file: the path being typed.
    SaveLog(TextInput),
}
