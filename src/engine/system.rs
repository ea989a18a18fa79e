//! Engine-wide facts: version and disk use (for doctor).
//!
//! Disk use is summed from the image and container lists: bollard's `df` model follows the
//! newest API, which Docker 20.10 and Podman 4 answer in an older shape.

use bollard::query_parameters::ListImagesOptionsBuilder;

use super::containers::ListQuery;
use super::{Engine, EngineFacts};
use crate::Result;

impl Engine {
    /// Version, OS and disk use.
    pub async fn facts(&self) -> Result<EngineFacts> {
        let info = self.docker.info().await.map_err(|e| self.err(e))?;
        let images = self
            .docker
            .list_images(Some(ListImagesOptionsBuilder::default().all(false).build()))
            .await
            .ok()
            .map(|v| v.iter().map(|i| i.size.max(0)).sum::<i64>());
        let containers = self
            .list(&ListQuery {
                all: true,
                size: true,
                ..Default::default()
            })
            .await
            .ok()
            .map(|v| v.iter().filter_map(|c| c.size_rw).sum::<i64>());
        Ok(EngineFacts {
            kind: self.kind.to_string(),
            version: self.version.clone(),
            api_version: self.api_version.clone(),
            os: info.operating_system,
            containers: info.containers,
            images_bytes: images,
            containers_bytes: containers,
        })
    }
}
