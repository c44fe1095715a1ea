"""XML-RPC requests and responses without the standard library's XML hazards.

Requests are parsed with defusedxml's expat parser feeding the standard library's
``Unmarshaller``: a document with a DTD -- and so any entity declaration, small or a billion
laughs -- is refused before expat expands anything, whatever the libexpat version.  Nothing is
patched process-wide.  Responses are written with :func:`xmlrpc.client.dumps`, after replacing
characters XML 1.0 cannot carry (a hostile report's keys are echoed in messages).

Fault codes follow the XML-RPC fault code interoperability convention.
"""

from __future__ import annotations

import re
import xmlrpc.client
from typing import Any
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.xmlrpc import DefusedExpatParser

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class XmlRpcFault(Exception):
    """A fault to send back: ``code`` and ``message``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_call(body: bytes) -> tuple[str, tuple[Any, ...]]:
    """``(method name, parameters)`` of an XML-RPC ``methodCall``.

    :raises XmlRpcFault: not well-formed XML, a DTD or entity, not a method call.
    """
    unmarshaller = xmlrpc.client.Unmarshaller(use_builtin_types=True)
    parser = DefusedExpatParser(unmarshaller, forbid_dtd=True)
    try:
        parser.feed(body)
        parser.close()
        params = unmarshaller.close()
    except DefusedXmlException as exc:
        raise XmlRpcFault(
            PARSE_ERROR, f"XML with a DTD or entity declarations is refused ({exc})"
        ) from None
    except ExpatError as exc:
        raise XmlRpcFault(PARSE_ERROR, f"request is not well-formed XML: {exc}") from None
    except Exception as exc:  # the Unmarshaller's own errors: bad values, unbalanced tags
        raise XmlRpcFault(
            INVALID_REQUEST, f"request is not an XML-RPC call: {type(exc).__name__}: {exc}"[:300]
        ) from None
    method = unmarshaller.getmethodname()
    if method is None:
        raise XmlRpcFault(INVALID_REQUEST, "request is not an XML-RPC methodCall")
    return method, tuple(params)


def xml_safe(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold replaced by ``?``."""
    return _NOT_XML.sub("?", text)


def response(value: str) -> bytes:
    return xmlrpc.client.dumps((xml_safe(value),), methodresponse=True).encode("utf-8")


def fault_response(fault: XmlRpcFault) -> bytes:
    body = xmlrpc.client.dumps(
        xmlrpc.client.Fault(fault.code, xml_safe(fault.message)), methodresponse=True
    )
    return body.encode("utf-8")
