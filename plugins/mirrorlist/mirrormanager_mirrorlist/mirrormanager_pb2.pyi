from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FileDetailsType(_message.Message):
    __slots__ = ("TimeStamp", "Size", "SHA1", "MD5", "SHA256", "SHA512")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA1_FIELD_NUMBER: _ClassVar[int]
    MD5_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SHA512_FIELD_NUMBER: _ClassVar[int]
    TimeStamp: int
    Size: int
    SHA1: str
    MD5: str
    SHA256: str
    SHA512: str
    def __init__(self, TimeStamp: _Optional[int] = ..., Size: _Optional[int] = ..., SHA1: _Optional[str] = ..., MD5: _Optional[str] = ..., SHA256: _Optional[str] = ..., SHA512: _Optional[str] = ...) -> None: ...

class FileDetailsCacheFilesType(_message.Message):
    __slots__ = ("filename", "FileDetails")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    FILEDETAILS_FIELD_NUMBER: _ClassVar[int]
    filename: str
    FileDetails: _containers.RepeatedCompositeFieldContainer[FileDetailsType]
    def __init__(self, filename: _Optional[str] = ..., FileDetails: _Optional[_Iterable[_Union[FileDetailsType, _Mapping]]] = ...) -> None: ...

class FileDetailsCacheDirectoryType(_message.Message):
    __slots__ = ("directory", "FileDetailsCacheFiles")
    DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    FILEDETAILSCACHEFILES_FIELD_NUMBER: _ClassVar[int]
    directory: str
    FileDetailsCacheFiles: _containers.RepeatedCompositeFieldContainer[FileDetailsCacheFilesType]
    def __init__(self, directory: _Optional[str] = ..., FileDetailsCacheFiles: _Optional[_Iterable[_Union[FileDetailsCacheFilesType, _Mapping]]] = ...) -> None: ...

class MirrorListCacheType(_message.Message):
    __slots__ = ("directory", "Global", "Subpath", "ByCountry", "ByCountryInternet2", "ByHostId", "OrderedMirrorList")
    DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_FIELD_NUMBER: _ClassVar[int]
    SUBPATH_FIELD_NUMBER: _ClassVar[int]
    BYCOUNTRY_FIELD_NUMBER: _ClassVar[int]
    BYCOUNTRYINTERNET2_FIELD_NUMBER: _ClassVar[int]
    BYHOSTID_FIELD_NUMBER: _ClassVar[int]
    ORDEREDMIRRORLIST_FIELD_NUMBER: _ClassVar[int]
    directory: str
    Global: _containers.RepeatedScalarFieldContainer[int]
    Subpath: str
    ByCountry: _containers.RepeatedCompositeFieldContainer[StringRepeatedIntMap]
    ByCountryInternet2: _containers.RepeatedCompositeFieldContainer[StringRepeatedIntMap]
    ByHostId: _containers.RepeatedCompositeFieldContainer[IntRepeatedIntMap]
    OrderedMirrorList: bool
    def __init__(self, directory: _Optional[str] = ..., Global: _Optional[_Iterable[int]] = ..., Subpath: _Optional[str] = ..., ByCountry: _Optional[_Iterable[_Union[StringRepeatedIntMap, _Mapping]]] = ..., ByCountryInternet2: _Optional[_Iterable[_Union[StringRepeatedIntMap, _Mapping]]] = ..., ByHostId: _Optional[_Iterable[_Union[IntRepeatedIntMap, _Mapping]]] = ..., OrderedMirrorList: _Optional[bool] = ...) -> None: ...

class StringStringMap(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class StringRepeatedIntMap(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, key: _Optional[str] = ..., value: _Optional[_Iterable[int]] = ...) -> None: ...

class IntRepeatedStringMap(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: int
    value: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, key: _Optional[int] = ..., value: _Optional[_Iterable[str]] = ...) -> None: ...

class IntStringMap(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: int
    value: str
    def __init__(self, key: _Optional[int] = ..., value: _Optional[str] = ...) -> None: ...

class IntIntMap(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: int
    value: int
    def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...

class IntRepeatedIntMap(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: int
    value: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, key: _Optional[int] = ..., value: _Optional[_Iterable[int]] = ...) -> None: ...

class StringBoolMap(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: bool
    def __init__(self, key: _Optional[str] = ..., value: _Optional[bool] = ...) -> None: ...

class MirrorList(_message.Message):
    __slots__ = ("Time", "NetblockCountryCache", "LocationCache", "HCUrlCache", "FileDetailsCache", "DisabledRepositoryCache", "CountryContinentRedirectCache", "RepositoryRedirectCache", "RepoArchToDirectoryName", "HostAsnCache", "HostMaxConnectionCache", "HostCountryCache", "HostBandwidthCache", "HostCountryAllowedCache", "HostNetblockCache", "MirrorListCache", "HCUrlFamilyCache")
    TIME_FIELD_NUMBER: _ClassVar[int]
    NETBLOCKCOUNTRYCACHE_FIELD_NUMBER: _ClassVar[int]
    LOCATIONCACHE_FIELD_NUMBER: _ClassVar[int]
    HCURLCACHE_FIELD_NUMBER: _ClassVar[int]
    FILEDETAILSCACHE_FIELD_NUMBER: _ClassVar[int]
    DISABLEDREPOSITORYCACHE_FIELD_NUMBER: _ClassVar[int]
    COUNTRYCONTINENTREDIRECTCACHE_FIELD_NUMBER: _ClassVar[int]
    REPOSITORYREDIRECTCACHE_FIELD_NUMBER: _ClassVar[int]
    REPOARCHTODIRECTORYNAME_FIELD_NUMBER: _ClassVar[int]
    HOSTASNCACHE_FIELD_NUMBER: _ClassVar[int]
    HOSTMAXCONNECTIONCACHE_FIELD_NUMBER: _ClassVar[int]
    HOSTCOUNTRYCACHE_FIELD_NUMBER: _ClassVar[int]
    HOSTBANDWIDTHCACHE_FIELD_NUMBER: _ClassVar[int]
    HOSTCOUNTRYALLOWEDCACHE_FIELD_NUMBER: _ClassVar[int]
    HOSTNETBLOCKCACHE_FIELD_NUMBER: _ClassVar[int]
    MIRRORLISTCACHE_FIELD_NUMBER: _ClassVar[int]
    HCURLFAMILYCACHE_FIELD_NUMBER: _ClassVar[int]
    Time: int
    NetblockCountryCache: _containers.RepeatedCompositeFieldContainer[StringStringMap]
    LocationCache: _containers.RepeatedCompositeFieldContainer[StringRepeatedIntMap]
    HCUrlCache: _containers.RepeatedCompositeFieldContainer[IntStringMap]
    FileDetailsCache: _containers.RepeatedCompositeFieldContainer[FileDetailsCacheDirectoryType]
    DisabledRepositoryCache: _containers.RepeatedCompositeFieldContainer[StringBoolMap]
    CountryContinentRedirectCache: _containers.RepeatedCompositeFieldContainer[StringStringMap]
    RepositoryRedirectCache: _containers.RepeatedCompositeFieldContainer[StringStringMap]
    RepoArchToDirectoryName: _containers.RepeatedCompositeFieldContainer[StringStringMap]
    HostAsnCache: _containers.RepeatedCompositeFieldContainer[IntRepeatedIntMap]
    HostMaxConnectionCache: _containers.RepeatedCompositeFieldContainer[IntIntMap]
    HostCountryCache: _containers.RepeatedCompositeFieldContainer[IntStringMap]
    HostBandwidthCache: _containers.RepeatedCompositeFieldContainer[IntIntMap]
    HostCountryAllowedCache: _containers.RepeatedCompositeFieldContainer[IntRepeatedStringMap]
    HostNetblockCache: _containers.RepeatedCompositeFieldContainer[StringRepeatedIntMap]
    MirrorListCache: _containers.RepeatedCompositeFieldContainer[MirrorListCacheType]
    HCUrlFamilyCache: _containers.RepeatedCompositeFieldContainer[IntIntMap]
    def __init__(self, Time: _Optional[int] = ..., NetblockCountryCache: _Optional[_Iterable[_Union[StringStringMap, _Mapping]]] = ..., LocationCache: _Optional[_Iterable[_Union[StringRepeatedIntMap, _Mapping]]] = ..., HCUrlCache: _Optional[_Iterable[_Union[IntStringMap, _Mapping]]] = ..., FileDetailsCache: _Optional[_Iterable[_Union[FileDetailsCacheDirectoryType, _Mapping]]] = ..., DisabledRepositoryCache: _Optional[_Iterable[_Union[StringBoolMap, _Mapping]]] = ..., CountryContinentRedirectCache: _Optional[_Iterable[_Union[StringStringMap, _Mapping]]] = ..., RepositoryRedirectCache: _Optional[_Iterable[_Union[StringStringMap, _Mapping]]] = ..., RepoArchToDirectoryName: _Optional[_Iterable[_Union[StringStringMap, _Mapping]]] = ..., HostAsnCache: _Optional[_Iterable[_Union[IntRepeatedIntMap, _Mapping]]] = ..., HostMaxConnectionCache: _Optional[_Iterable[_Union[IntIntMap, _Mapping]]] = ..., HostCountryCache: _Optional[_Iterable[_Union[IntStringMap, _Mapping]]] = ..., HostBandwidthCache: _Optional[_Iterable[_Union[IntIntMap, _Mapping]]] = ..., HostCountryAllowedCache: _Optional[_Iterable[_Union[IntRepeatedStringMap, _Mapping]]] = ..., HostNetblockCache: _Optional[_Iterable[_Union[StringRepeatedIntMap, _Mapping]]] = ..., MirrorListCache: _Optional[_Iterable[_Union[MirrorListCacheType, _Mapping]]] = ..., HCUrlFamilyCache: _Optional[_Iterable[_Union[IntIntMap, _Mapping]]] = ...) -> None: ...
