"""The folders of the aggregate tables, handled from the run's side through `pyarrow.fs`.

Spark writes the files; listing, moving and deleting folders happens here, in the run's process,
because a Spark Connect client has no JVM to reach Hadoop's FileSystem through. pyarrow speaks
the same storage: a local folder (the default), S3 (`s3a://` as Spark spells it), HDFS or GCS.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from pyarrow import fs as pafs

_SCHEMES = {"s3a": "s3", "s3n": "s3", "gs": "gs", "hdfs": "hdfs", "file": "file"}


class TableFiles:
    """Folder operations under one base URI (a local path or scheme://…), given Spark paths."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        scheme, sep, rest = self.base.partition("://")
        if not sep:
            self.fs: pafs.FileSystem = pafs.LocalFileSystem()
            self.root = os.path.abspath(self.base)
        else:
            uri = f"{_SCHEMES.get(scheme, scheme)}://{rest}"
            self.fs, self.root = pafs.FileSystem.from_uri(uri)
            self.root = self.root.rstrip("/")

    def _local(self, path: str) -> str:
        """The filesystem path of a Spark path under the base."""
        if not path.startswith(self.base):
            raise ValueError(f"{path} is not under {self.base}")
        return self.root + path[len(self.base):]

    def _info(self, path: str) -> pafs.FileInfo:
        return self.fs.get_file_info(self._local(path))

    def exists(self, path: str) -> bool:
        return self._info(path).type != pafs.FileType.NotFound

    def is_dir(self, path: str) -> bool:
        return self._info(path).type == pafs.FileType.Directory

    def subfolders(self, folder: str) -> list[str]:
        """Names of the folders directly in `folder` ([] when it does not exist)."""
        selector = pafs.FileSelector(self._local(folder), allow_not_found=True)
        return [i.base_name for i in self.fs.get_file_info(selector)
                if i.type == pafs.FileType.Directory]

    def files(self, folder: str) -> list[str]:
        """Names of the files directly in `folder` ([] when it does not exist)."""
        selector = pafs.FileSelector(self._local(folder), allow_not_found=True)
        return [i.base_name for i in self.fs.get_file_info(selector)
                if i.type == pafs.FileType.File]

    def folders_holding(self, folder: str, marker: str) -> Iterator[str]:
        """Names of the subfolders of `folder` that hold a file `marker`: one (recursive)
        listing, which is also how an object store lists."""
        root = self._local(folder).rstrip("/")
        selector = pafs.FileSelector(root, allow_not_found=True, recursive=True)
        for info in self.fs.get_file_info(selector):
            parent = os.path.dirname(info.path)
            if (info.base_name == marker and os.path.dirname(parent) == root
                    and info.type == pafs.FileType.File):
                yield os.path.basename(parent)

    def parquet_columns(self, folder: str) -> set[str] | None:
        """The columns of the first parquet file in `folder` (its footer only), None when it
        holds none."""
        import pyarrow.parquet as pq

        names = sorted(n for n in self.files(folder) if n.endswith(".parquet"))
        if not names:
            return None
        with self.fs.open_input_file(self._local(f"{folder}/{names[0]}")) as f:
            return set(pq.read_schema(f).names)

    def mkdirs(self, path: str) -> None:
        self.fs.create_dir(self._local(path), recursive=True)

    def touch(self, path: str) -> None:
        with self.fs.open_output_stream(self._local(path)):
            pass

    def delete(self, path: str) -> None:
        """Remove a folder and all it holds; nothing happens when it does not exist."""
        info = self._info(path)
        if info.type == pafs.FileType.Directory:
            self.fs.delete_dir(info.path)
        elif info.type == pafs.FileType.File:
            self.fs.delete_file(info.path)

    def move(self, src: str, dst: str) -> None:
        """Rename a file or folder (`dst` must not exist). Object stores have no folder rename:
        there the files move one by one."""
        source, target = self._local(src), self._local(dst)
        if isinstance(self.fs, pafs.LocalFileSystem | pafs.HadoopFileSystem):
            self.fs.move(source, target)
            return
        selector = pafs.FileSelector(source, recursive=True)
        for info in self.fs.get_file_info(selector):
            if info.type == pafs.FileType.File:
                self.fs.move(info.path, target + info.path[len(source):])
        self.fs.delete_dir(source)
