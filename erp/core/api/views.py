"""Base classes for every API view: idempotent POSTs and the domain scope."""

from rest_framework import mixins, viewsets
from rest_framework.response import Response

from erp.core import idempotency


class _Replayed(Exception):
    def __init__(self, replay: idempotency.Replay):
        self.replay = replay


class ThrottleFirstMixin:
    """Throttle before permissions (DRF does it after), so refused calls -
    which are also written to the audit log - count against the caller."""

    def check_permissions(self, request):
        self._throttled = True
        super().check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request):
        if not getattr(self, "_throttled", False):
            super().check_throttles(request)


class IdempotentMixin:
    """Honours `Idempotency-Key` on POST (see erp.core.idempotency).

    The key is claimed after authentication, permissions and throttling have
    passed, so an unauthorised caller can neither claim nor probe keys. Fields
    named in `idempotency_redact_fields` (secrets) are not kept for replays.
    """

    def initial(self, request, *args, **kwargs):
        self._idempotency_claim = None
        super().initial(request, *args, **kwargs)
        key = request.headers.get(idempotency.HEADER)
        if request.method != "POST" or key is None:
            return
        claimed = idempotency.idempotency_claim(
            scope=idempotency.request_scope(request),
            key=key.strip(),
            fingerprint=idempotency.request_fingerprint(request),
        )
        if isinstance(claimed, idempotency.Replay):
            raise _Replayed(claimed)
        self._idempotency_claim = claimed

    def handle_exception(self, exc):
        if isinstance(exc, _Replayed):
            headers = {**exc.replay.headers, "Idempotent-Replayed": "true"}
            return Response(exc.replay.body, status=exc.replay.status_code, headers=headers)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        claim = getattr(self, "_idempotency_claim", None)
        if claim is not None:
            self._idempotency_claim = None
            idempotency.idempotency_complete(
                claim=claim,
                response=response,
                redact=getattr(self, "idempotency_redact_fields", ()),
            )
        return response

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            # An unhandled exception (a 500) never reached finalize_response.
            claim = getattr(self, "_idempotency_claim", None)
            if claim is not None:
                self._idempotency_claim = None
                idempotency.idempotency_release(claim=claim)


class ReadOnlyViewSet(ThrottleFirstMixin, IdempotentMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve. Subclasses set `scope_domain`, `queryset` (from a
    selector), `serializer_class` and `filterset_class`."""


class CrudViewSet(
    ThrottleFirstMixin,
    IdempotentMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Create, read, update (PUT/PATCH) and delete through services.

    Subclasses set `write_serializer_class`, `create_service(**fields)` and
    `update_service(instance, **changes)`; deletion goes through
    erp.core.updates.delete_unused (409 when the record is in use). A record's
    key (`lookup_field`) cannot be changed.
    """

    write_serializer_class = None

    def create_service(self, **fields):
        raise NotImplementedError

    def update_service(self, instance, **changes):
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        data = self.write_serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("active", None)  # new records start active
        instance = self.create_service(**fields)
        return Response(self.get_serializer(instance).data, status=201)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        data = self.write_serializer_class(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        key = self.lookup_field
        if key in changes and changes[key] == getattr(instance, key):
            del changes[key]  # a PUT repeats the key; only a different one is refused
        instance = self.update_service(instance, **changes)
        return Response(self.get_serializer(instance).data)

    def destroy(self, request, *args, **kwargs):
        from erp.core.updates import delete_unused

        delete_unused(self.get_object())
        return Response(status=204)


class CreateReadViewSet(
    ThrottleFirstMixin, IdempotentMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """List, retrieve and create; `perform_create` must call a service."""
