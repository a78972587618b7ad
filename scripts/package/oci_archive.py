#!/usr/bin/env python3
"""Writes an OCI image archive (a tar of an OCI image layout, image-spec v1.0) with one layer.

Called by image.sh, which decides what goes into the image; this only lays it out. The output is
byte-for-byte reproducible: every tar entry is owned by 0:0 with the mtime --created, entries are
sorted, gzip carries no name or time, and JSON is written with sorted keys. So two runs on the
same inputs give the same digests, and a node that already has the image imports nothing new.

Layout of the archive (what `skopeo copy oci-archive:`, `podman load` and `ctr images import` read):
  oci-layout                     {"imageLayoutVersion": "1.0.0"}
  index.json                     one manifest, annotated with its names (ref.name, containerd's name)
  blobs/sha256/<digest>          the layer (tar+gzip), the image config, the manifest
"""
import argparse
import datetime
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


def fail(message):
    print(f"oci_archive: {message}", file=sys.stderr)
    sys.exit(1)


def key_value(text, what):
    if "=" not in text:
        fail(f"{what} '{text}' is not KEY=VALUE")
    key, value = text.split("=", 1)
    if not key:
        fail(f"{what} '{text}' has an empty key")
    return key, value


def to_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def add_bytes(tar, name, data, mtime, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = mtime
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def add_directory(tar, name, mtime):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mtime = mtime
    info.mode = 0o755
    tar.addfile(info)


def layer_tar(files, mtime):
    """files: {path in the image: source path}. Parent directories are added explicitly (0755),
    every file as a regular file with its source's permission bits (symlinks already resolved)."""
    directories = set()
    for path in files:
        parent = os.path.dirname(path)
        while parent:
            directories.add(parent)
            parent = os.path.dirname(parent)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(directories | set(files)):
            if name in directories:
                add_directory(tar, name, mtime)
                continue
            source = files[name]
            try:
                with open(source, "rb") as f:
                    data = f.read()
                mode = os.stat(source).st_mode & 0o777
            except OSError as e:
                fail(f"cannot read {source} (for /{name}): {e.strerror}")
            add_bytes(tar, name, data, mtime, mode)
    return buffer.getvalue()


def descriptor(media_type, data):
    return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
            "size": len(data)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("--architecture", required=True, help="OCI/Go name: amd64, arm64")
    parser.add_argument("--variant", default="")
    parser.add_argument("--created", required=True, type=int, help="seconds since the epoch")
    parser.add_argument("--entrypoint", required=True)
    parser.add_argument("--file", action="append", default=[], help="PATH_IN_IMAGE=SOURCE")
    parser.add_argument("--label", action="append", default=[], help="KEY=VALUE (config label)")
    parser.add_argument("--index-annotation", action="append", default=[], help="KEY=VALUE")
    args = parser.parse_args()

    files = {}
    for entry in args.file:
        path, source = key_value(entry, "--file")
        files[path.strip("/")] = source
    if not files:
        fail("no --file given: the image would be empty")
    created = datetime.datetime.fromtimestamp(args.created, datetime.timezone.utc)
    created_text = created.strftime("%Y-%m-%dT%H:%M:%SZ")

    layer_plain = layer_tar(files, args.created)
    # mtime=0 and no file name: gzip's header carries neither, so the digest depends on content only.
    layer = gzip.compress(layer_plain, compresslevel=6, mtime=0)

    platform = {"architecture": args.architecture, "os": "linux"}
    if args.variant:
        platform["variant"] = args.variant
    config = dict(platform)
    config.update({
        "created": created_text,
        "config": {"Entrypoint": [args.entrypoint],
                   "Labels": dict(key_value(label, "--label") for label in args.label)},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(layer_plain).hexdigest()]},
        "history": [{"created": created_text, "created_by": "scripts/package/image.sh"}],
    })
    config_json = to_json(config)
    manifest_json = to_json({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor(OCI_CONFIG, config_json),
        "layers": [descriptor(OCI_LAYER_GZIP, layer)],
    })
    manifest_descriptor = descriptor(OCI_MANIFEST, manifest_json)
    manifest_descriptor["platform"] = platform
    manifest_descriptor["annotations"] = dict(
        key_value(a, "--index-annotation") for a in args.index_annotation)
    index_json = to_json({"schemaVersion": 2, "mediaType": OCI_INDEX,
                          "manifests": [manifest_descriptor]})

    blobs = {hashlib.sha256(b).hexdigest(): b for b in (layer, config_json, manifest_json)}
    temporary = args.output + ".partial"
    try:
        with tarfile.open(temporary, mode="w", format=tarfile.PAX_FORMAT) as tar:
            add_bytes(tar, "oci-layout", to_json({"imageLayoutVersion": "1.0.0"}), args.created)
            add_bytes(tar, "index.json", index_json, args.created)
            add_directory(tar, "blobs", args.created)
            add_directory(tar, "blobs/sha256", args.created)
            for digest in sorted(blobs):
                add_bytes(tar, "blobs/sha256/" + digest, blobs[digest], args.created)
        os.replace(temporary, args.output)
    except OSError as e:
        fail(f"cannot write {args.output}: {e.strerror}")


if __name__ == "__main__":
    main()
