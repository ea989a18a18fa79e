//! Images: presence check and pull with progress (SPEC 3.4).

use bollard::query_parameters::CreateImageOptionsBuilder;
use futures::StreamExt;

use super::streams::BoxStream;
use super::{Engine, PullProgress};
use crate::{Error, Result};

/// Split `repo[:tag]` (a digest is kept whole) into the pull's `fromImage` and `tag`.
pub fn split_image(image: &str) -> (String, String) {
    if image.contains('@') {
        return (image.to_string(), String::new());
    }
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), tag.to_string()),
        _ => (image.to_string(), "latest".to_string()),
    }
}

impl Engine {
    /// Whether the engine has this image locally.
    pub async fn image_exists(&self, image: &str) -> Result<bool> {
        match self.docker.inspect_image(image).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(false),
            Err(e) => Err(self.err(e)),
        }
    }

    /// Pull an image; the stream yields progress and ends with an error when the pull fails.
    pub fn pull(&self, image: &str) -> BoxStream<PullProgress> {
        let (repo, tag) = split_image(image);
        let opts = CreateImageOptionsBuilder::default().from_image(&repo).tag(&tag).build();
        let image = image.to_string();
        let engine = self.name.clone();
        Box::pin(self.docker.create_image(Some(opts), None, None).map(move |r| match r {
            Ok(info) => {
                if let Some(err) = info.error_detail.and_then(|d| d.message) {
                    return Err(pull_error(&image, &err));
                }
                let detail = info.progress_detail.unwrap_or_default();
                Ok(PullProgress {
                    id: info.id,
                    status: info.status.unwrap_or_default(),
                    current: detail.current,
                    total: detail.total,
                })
            }
            Err(e) => Err(pull_error(&image, &super::short_bollard(&e)).context(format!("engine {engine}"))),
        }))
    }
}

fn pull_error(image: &str, why: &str) -> Error {
    Error::failed(format!("cannot pull image '{image}': {why}"))
        .hint("no registry may be reachable: build or import the image locally, or choose one with --image")
}
