"""The cache's messages as the list server parses them: strings checked while parsing.

The schema is proto2 (as upstream's), and a proto2 ``string`` field is not checked for UTF-8
when parsed: the upb runtime hands out ``bytes`` for a field whose bytes do not decode, and the
first ``str`` operation on it fails far from the load (one bad byte in a URL took every worker
down).  These classes are the same messages -- same names, numbers, types, ``required`` rules,
so the same wire format -- declared in edition 2023 with ``utf8_validation = VERIFY`` and
derived at import time from the generated ``mirrormanager_pb2`` descriptor, so there is one
schema (``proto/mirrormanager.proto``).  Parsing a field that is not valid UTF-8 raises
``DecodeError`` in C, at no measurable cost, and every string of a parsed message is a ``str``.

The cache writer keeps using ``mirrormanager_pb2`` (what it writes is valid UTF-8 by
construction).
"""

from __future__ import annotations

from typing import Any, cast

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from mirrormanager_mirrorlist import mirrormanager_pb2

_PACKAGE = "mirrormanager_strict"
_Features = descriptor_pb2.FeatureSet
_Field = descriptor_pb2.FieldDescriptorProto


def strict_file(source: descriptor_pb2.FileDescriptorProto) -> descriptor_pb2.FileDescriptorProto:
    """A proto2 file as an edition-2023 file with the same wire format and UTF-8 verified
    (in package :data:`_PACKAGE`)."""
    strict = descriptor_pb2.FileDescriptorProto()
    strict.CopyFrom(source)
    strict.name = f"{_PACKAGE}/{source.name}"
    strict.package = _PACKAGE
    strict.syntax = "editions"
    strict.edition = descriptor_pb2.EDITION_2023
    features = strict.options.features
    # proto2 behaviour where edition 2023's defaults differ; only UTF-8 changes
    features.enum_type = _Features.CLOSED
    features.repeated_field_encoding = _Features.EXPANDED
    features.utf8_validation = _Features.VERIFY
    own_prefix = f".{source.package}."
    for message in strict.message_type:
        if message.nested_type or message.enum_type:
            raise ValueError(f"{message.name}: nested types are not converted")
        for field in message.field:
            if field.label == _Field.LABEL_REQUIRED:
                field.label = _Field.LABEL_OPTIONAL
                field.options.features.field_presence = _Features.LEGACY_REQUIRED
            if field.type_name.startswith(own_prefix):
                field.type_name = f".{_PACKAGE}.{field.type_name[len(own_prefix):]}"
    return strict


def _message_classes() -> dict[str, Any]:
    source = descriptor_pb2.FileDescriptorProto()
    mirrormanager_pb2.DESCRIPTOR.CopyToProto(source)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(strict_file(source))
    return {
        message.name: message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"{_PACKAGE}.{message.name}")
        )
        for message in source.message_type
    }


_CLASSES = _message_classes()

# typed as the generated classes: the same fields
#: the whole cache (the list server parses only its small fields with it)
MirrorList = cast("type[mirrormanager_pb2.MirrorList]", _CLASSES["MirrorList"])
#: one per-directory entry (field 16 of ``MirrorList``)
MirrorListCacheType = cast(
    "type[mirrormanager_pb2.MirrorListCacheType]", _CLASSES["MirrorListCacheType"]
)
#: one directory's file details (field 5 of ``MirrorList``)
FileDetailsCacheDirectoryType = cast(
    "type[mirrormanager_pb2.FileDetailsCacheDirectoryType]",
    _CLASSES["FileDetailsCacheDirectoryType"],
)
