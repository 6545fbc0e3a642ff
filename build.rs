//! Generates the C header from `src/ffi/` with cbindgen into OUT_DIR, with version macros taken
//! from Cargo.toml. `include/aiobs.h` is the committed copy (`make header` refreshes it);
//! `tests/header.rs` fails when the two differ. On Linux the shared library gets a versioned
//! soname, so programs linked against one ABI never load another.

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let version = Version::from_env();
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!(
            "cargo:rustc-cdylib-link-arg=-Wl,-soname,{}",
            version.soname()
        );
    }
    let mut config = cbindgen::Config::from_file(format!("{crate_dir}/cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    let fixed = config.after_includes.take().unwrap_or_default();
    config.after_includes = Some(format!("{}\n{fixed}", version.macros()));
    let header = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    header.write_to_file(format!("{out_dir}/aiobs.h"));
}

struct Version {
    major: u32,
    minor: u32,
    patch: u32,
    text: String,
}

impl Version {
    fn from_env() -> Version {
        let part = |name: &str| -> u32 {
            std::env::var(name)
                .expect("cargo sets the version parts")
                .parse()
                .expect("version parts are numbers")
        };
        Version {
            major: part("CARGO_PKG_VERSION_MAJOR"),
            minor: part("CARGO_PKG_VERSION_MINOR"),
            patch: part("CARGO_PKG_VERSION_PATCH"),
            text: std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION"),
        }
    }

    /// Before 1.0 every minor release may change the ABI, so the soname carries major.minor
    /// (the convention of cargo-c); from 1.0 on, the major version alone.
    fn soname(&self) -> String {
        if self.major == 0 {
            format!("libaiobs.so.0.{}", self.minor)
        } else {
            format!("libaiobs.so.{}", self.major)
        }
    }

    fn macros(&self) -> String {
        format!(
            "\n/** The version of this header; `aiobs_version()` gives the library's. */\n\
             #define AIOBS_VERSION_MAJOR {}\n\
             #define AIOBS_VERSION_MINOR {}\n\
             #define AIOBS_VERSION_PATCH {}\n\
             #define AIOBS_VERSION_STRING \"{}\"\n\
             /** MAJOR * 1000000 + MINOR * 1000 + PATCH, for `#if AIOBS_VERSION_NUMBER >= ...`. */\n\
             #define AIOBS_VERSION_NUMBER {}\n",
            self.major,
            self.minor,
            self.patch,
            self.text,
            self.major * 1_000_000 + self.minor * 1_000 + self.patch
        )
    }
}
