//! Volumes: presence check and removal (prune's `--volumes` and its tests).

use bollard::query_parameters::RemoveVolumeOptions;

use super::Engine;
use crate::Result;

impl Engine {
    /// Whether a volume with this name exists.
    pub async fn volume_exists(&self, name: &str) -> Result<bool> {
        match self.docker.inspect_volume(name).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(false),
            Err(e) => Err(self.err(e)),
        }
    }

    /// Remove a volume (it must not be in use).
    pub async fn remove_volume(&self, name: &str) -> Result<()> {
        self.docker
            .remove_volume(name, None::<RemoveVolumeOptions>)
            .await
            .map_err(|e| self.err(e))
    }
}
