package argo

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
)

// resourceMapper maps an object's apiVersion and kind to the resource that serves it, from the
// discovery document of that one group version (/api/v1, /apis/<group>/<version>). A document is
// fetched on first use and kept; a kind it does not list (a CRD installed since) makes the mapper
// fetch it again before answering that the cluster does not serve the kind. It is client-go's
// deferred discovery REST mapper cut to what triggers need: it never reads the whole discovery
// tree, and it does not link client-go's scheme of every built-in type.
//
// Mappings follow client-go's discovery REST mapper: subresources are skipped, a kind is found by
// its name or its lower-case name, a kind served by two resources maps to the one listed last.
type resourceMapper struct {
	newClient func() (rest.Interface, error)

	clientOnce sync.Once
	client     rest.Interface
	clientErr  error

	mu   sync.Mutex
	docs map[schema.GroupVersion]*discoveryDoc
}

// discoveryDoc is what one group version's discovery document says about its kinds. mu
// serialises fetches of the document, so that a burst of firings fetches it once.
type discoveryDoc struct {
	mu     sync.Mutex
	loaded bool
	kinds  map[string]resourceInfo // nil: the group version is not served
}

type resourceInfo struct {
	resource   string
	namespaced bool
}

func newResourceMapper(rc *rest.Config, hc *http.Client) *resourceMapper {
	return &resourceMapper{
		newClient: func() (rest.Interface, error) { return discoveryRESTClient(rc, hc) },
		docs:      map[schema.GroupVersion]*discoveryDoc{},
	}
}

// discoveryRESTClient is a REST client for the discovery paths, decoding only the unversioned
// meta/v1 types those paths return (APIResourceList, Status).
func discoveryRESTClient(rc *rest.Config, hc *http.Client) (rest.Interface, error) {
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	cfg := rest.CopyConfig(rc)
	cfg.APIPath = ""
	cfg.GroupVersion = nil
	cfg.ContentType = runtime.ContentTypeJSON
	cfg.AcceptContentTypes = runtime.ContentTypeJSON
	cfg.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	c, err := rest.UnversionedRESTClientForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, fmt.Errorf("building kubernetes discovery client: %w", err)
	}
	return c, nil
}

// RESTMapping returns the resource of gvk. An error satisfying meta.IsNoMatchError means the
// cluster does not serve gvk, even after fetching the group version's document again.
func (m *resourceMapper) RESTMapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	gv := gvk.GroupVersion()
	m.mu.Lock()
	doc := m.docs[gv]
	if doc == nil {
		doc = &discoveryDoc{}
		m.docs[gv] = doc
	}
	m.mu.Unlock()

	doc.mu.Lock()
	defer doc.mu.Unlock()
	fresh := false
	if !doc.loaded {
		if err := m.load(ctx, gv, doc); err != nil {
			return nil, err
		}
		fresh = true
	}
	info, ok := doc.lookup(gvk.Kind)
	if !ok && !fresh {
		// A kind installed after the document was fetched: look again once.
		if err := m.load(ctx, gv, doc); err != nil {
			return nil, err
		}
		info, ok = doc.lookup(gvk.Kind)
	}
	if !ok {
		return nil, &meta.NoKindMatchError{GroupKind: gvk.GroupKind(), SearchedVersions: []string{gvk.Version}}
	}
	scope := meta.RESTScopeRoot
	if info.namespaced {
		scope = meta.RESTScopeNamespace
	}
	return &meta.RESTMapping{Resource: gv.WithResource(info.resource), GroupVersionKind: gvk, Scope: scope}, nil
}

func (d *discoveryDoc) lookup(kind string) (resourceInfo, bool) {
	if info, ok := d.kinds[kind]; ok {
		return info, true
	}
	info, ok := d.kinds[strings.ToLower(kind)]
	return info, ok
}

// load fetches gv's discovery document into doc. A group version the server does not know
// (404) loads as serving nothing; any other failure leaves doc as it was.
func (m *resourceMapper) load(ctx context.Context, gv schema.GroupVersion, doc *discoveryDoc) error {
	m.clientOnce.Do(func() { m.client, m.clientErr = m.newClient() })
	if m.clientErr != nil {
		return m.clientErr
	}
	path := "/apis/" + gv.Group + "/" + gv.Version
	if gv.Group == "" {
		path = "/api/" + gv.Version
	}
	var list metav1.APIResourceList
	err := m.client.Get().AbsPath(path).Do(ctx).Into(&list)
	if apierrors.IsNotFound(err) {
		doc.loaded, doc.kinds = true, nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	kinds := make(map[string]resourceInfo, 2*len(list.APIResources))
	lower := make(map[string]resourceInfo, len(list.APIResources))
	for _, r := range list.APIResources {
		if strings.Contains(r.Name, "/") {
			continue // a subresource
		}
		info := resourceInfo{resource: r.Name, namespaced: r.Namespaced}
		kinds[r.Kind] = info
		lower[strings.ToLower(r.Kind)] = info
	}
	for k, info := range lower {
		if _, ok := kinds[k]; !ok {
			kinds[k] = info
		}
	}
	doc.loaded, doc.kinds = true, kinds
	return nil
}
