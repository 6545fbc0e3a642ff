//! Writes each target's seed corpus to `<dir>/<target>/` (default `seeds/`), for `make fuzz`.

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or("seeds".into()));
    for target in aiobs_fuzz::Target::ALL {
        let folder = dir.join(target.name());
        std::fs::create_dir_all(&folder).expect("the seed folder is writable");
        for (i, seed) in target.seeds().iter().enumerate() {
            std::fs::write(folder.join(format!("seed-{i:03}")), seed).expect("a seed is written");
        }
    }
}
