package meilifake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// settings is the subset of index settings the fake keeps and honours.
type settings struct {
	SearchableAttributes []string         `json:"searchableAttributes"`
	DisplayedAttributes  []string         `json:"displayedAttributes"`
	FilterableAttributes []string         `json:"filterableAttributes"`
	SortableAttributes   []string         `json:"sortableAttributes"`
	RankingRules         []string         `json:"rankingRules"`
	StopWords            []string         `json:"stopWords"`
	Synonyms             map[string][]any `json:"synonyms"`
	DistinctAttribute    *string          `json:"distinctAttribute"`
	TypoTolerance        typoTolerance    `json:"typoTolerance"`
	Pagination           struct {
		MaxTotalHits int `json:"maxTotalHits"`
	} `json:"pagination"`
	Faceting struct {
		MaxValuesPerFacet int `json:"maxValuesPerFacet"`
	} `json:"faceting"`
}

type typoTolerance struct {
	Enabled             bool `json:"enabled"`
	MinWordSizeForTypos struct {
		OneTypo  int `json:"oneTypo"`
		TwoTypos int `json:"twoTypos"`
	} `json:"minWordSizeForTypos"`
	DisableOnWords      []string `json:"disableOnWords"`
	DisableOnAttributes []string `json:"disableOnAttributes"`
}

func defaultSettings() settings {
	st := settings{SearchableAttributes: []string{"*"}, DisplayedAttributes: []string{"*"},
		FilterableAttributes: []string{}, SortableAttributes: []string{}, StopWords: []string{}, Synonyms: map[string][]any{},
		RankingRules: []string{"words", "typo", "proximity", "attribute", "sort", "exactness"}}
	st.TypoTolerance.Enabled = true
	st.TypoTolerance.MinWordSizeForTypos.OneTypo = 5
	st.TypoTolerance.MinWordSizeForTypos.TwoTypos = 9
	st.TypoTolerance.DisableOnWords, st.TypoTolerance.DisableOnAttributes = []string{}, []string{}
	st.Pagination.MaxTotalHits = 1000
	st.Faceting.MaxValuesPerFacet = 100
	return st
}

var settingsFields = map[string]bool{"searchableAttributes": true, "displayedAttributes": true, "filterableAttributes": true,
	"sortableAttributes": true, "rankingRules": true, "stopWords": true, "synonyms": true, "distinctAttribute": true,
	"typoTolerance": true, "pagination": true, "faceting": true}

var knownRules = map[string]bool{"words": true, "typo": true, "proximity": true, "attribute": true, "sort": true, "exactness": true}

func (s *Server) getSettings(w http.ResponseWriter, uid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexOr404(w, uid)
	if ix == nil {
		return
	}
	writeJSON(w, 200, ix.settings)
}

func (s *Server) resetSettings(w http.ResponseWriter, uid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enqueue(w, uid, "settingsUpdate", map[string]any{}, func() *apiError {
		ix, ok := s.indexes[uid]
		if !ok {
			return indexNotFound(uid)
		}
		ix.settings = defaultSettings()
		return nil
	})
}

// updateSettings validates a PATCH synchronously (as Meilisearch does for
// malformed bodies) and applies it in a task, creating the index if needed.
func (s *Server) updateSettings(w http.ResponseWriter, r *http.Request, uid string) {
	var raw map[string]json.RawMessage
	if e := decode(r, &raw); e != nil {
		writeErr(w, e)
		return
	}
	if e := knownFields(raw, settingsFields); e != nil {
		writeErr(w, e)
		return
	}
	var patch settings
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &patch); err != nil {
		writeErr(w, invalidRequest("bad_request", "Invalid settings: %v", err))
		return
	}
	for _, rule := range patch.RankingRules {
		name := rule
		if i := strings.IndexByte(rule, ':'); i > 0 {
			name = "custom"
		}
		if name != "custom" && !knownRules[name] {
			writeErr(w, invalidRequest("invalid_settings_ranking_rules", "`%s` ranking rule is invalid. Valid ranking rules are words, typo, sort, proximity, attribute, exactness and custom ranking rules.", rule))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enqueue(w, uid, "settingsUpdate", map[string]any{}, func() *apiError {
		ix, ok := s.indexes[uid]
		if !ok {
			ix = newIndex(uid)
			s.indexes[uid] = ix
		}
		st := &ix.settings
		if _, ok := raw["searchableAttributes"]; ok {
			st.SearchableAttributes = orDefault(patch.SearchableAttributes, []string{"*"})
		}
		if _, ok := raw["displayedAttributes"]; ok {
			st.DisplayedAttributes = orDefault(patch.DisplayedAttributes, []string{"*"})
		}
		if _, ok := raw["filterableAttributes"]; ok {
			st.FilterableAttributes = orDefault(patch.FilterableAttributes, []string{})
		}
		if _, ok := raw["sortableAttributes"]; ok {
			st.SortableAttributes = orDefault(patch.SortableAttributes, []string{})
		}
		if _, ok := raw["rankingRules"]; ok {
			st.RankingRules = orDefault(patch.RankingRules, defaultSettings().RankingRules)
		}
		if _, ok := raw["stopWords"]; ok {
			st.StopWords = orDefault(patch.StopWords, []string{})
		}
		if _, ok := raw["distinctAttribute"]; ok {
			st.DistinctAttribute = patch.DistinctAttribute
		}
		if _, ok := raw["typoTolerance"]; ok {
			st.TypoTolerance = patch.TypoTolerance
			st.TypoTolerance.DisableOnWords = orDefault(st.TypoTolerance.DisableOnWords, []string{})
			st.TypoTolerance.DisableOnAttributes = orDefault(st.TypoTolerance.DisableOnAttributes, []string{})
		}
		if _, ok := raw["pagination"]; ok && patch.Pagination.MaxTotalHits > 0 {
			st.Pagination = patch.Pagination
		}
		if _, ok := raw["faceting"]; ok && patch.Faceting.MaxValuesPerFacet > 0 {
			st.Faceting = patch.Faceting
		}
		return nil
	})
}

func orDefault(v, def []string) []string {
	if v == nil {
		return def
	}
	return v
}

// knownFields refuses a body with a field known does not list.
func knownFields(raw map[string]json.RawMessage, known map[string]bool) *apiError {
	for k := range raw {
		if !known[k] {
			return invalidRequest("bad_request", "Unknown field `%s`: expected one of %s", k, strings.Join(sortedKeys(known), ", "))
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// docID renders a primary-key value; ok is false for an invalid id.
func docID(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		if x == "" || len(x) > 511 {
			return "", false
		}
		for _, r := range x {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "", false
			}
		}
		return x, true
	case json.Number:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return string(x), true
		}
	}
	return "", false
}

func (s *Server) addDocuments(w http.ResponseWriter, r *http.Request, uid string, partial bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeErr(w, newErr(http.StatusUnsupportedMediaType, "invalid_content_type", "invalid_request",
			"The Content-Type `%s` is invalid. Accepted values for the Content-Type header are: `application/json` (meilifake supports JSON only)", ct))
		return
	}
	var docs []map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&docs); err != nil {
		writeErr(w, invalidRequest("malformed_payload", "The `json` payload provided is malformed. `%v`.", err))
		return
	}
	pkParam := r.URL.Query().Get("primaryKey")
	typ := "documentAdditionOrUpdate"
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enqueue(w, uid, typ, map[string]any{"receivedDocuments": len(docs), "indexedDocuments": nil}, func() *apiError {
		if !validUID(uid) {
			return invalidRequest("invalid_index_uid", "`%s` is not a valid index uid.", uid)
		}
		ix, ok := s.indexes[uid]
		if !ok {
			ix = newIndex(uid)
			s.indexes[uid] = ix
		}
		pk := ix.primaryKey
		switch {
		case pk == "" && pkParam != "":
			pk = pkParam
		case pk != "" && pkParam != "" && pkParam != pk:
			return invalidRequest("index_primary_key_already_exists", "Index `%s`: Index already has a primary key: `%s`.", uid, pk)
		case pk == "" && len(docs) > 0:
			var cands []string
			for k := range docs[0] {
				if strings.HasSuffix(strings.ToLower(k), "id") {
					cands = append(cands, k)
				}
			}
			if len(cands) != 1 {
				return invalidRequest("index_primary_key_no_candidate_found", "The primary key inference failed as the engine did not find any field ending with `id` in its name. Please specify the primary key manually using the `primaryKey` query parameter.")
			}
			pk = cands[0]
		}
		// Validate everything first: a failed task changes nothing.
		ids := make([]string, len(docs))
		for i, d := range docs {
			v, ok := d[pk]
			if !ok {
				return invalidRequest("missing_document_id", "Document doesn't have a `%s` attribute: `%s`.", pk, compact(d))
			}
			id, ok := docID(v)
			if !ok {
				return invalidRequest("invalid_document_id", "Document identifier `%v` is invalid. A document identifier can be of type integer or string, only composed of alphanumeric characters (a-z A-Z 0-9), hyphens (-) and underscores (_), and can not be more than 511 bytes.", v)
			}
			ids[i] = id
		}
		if ix.primaryKey == "" {
			ix.primaryKey = pk
		}
		for i, d := range docs {
			old, exists := ix.docs[ids[i]]
			if partial && exists {
				for k, v := range d {
					old[k] = v
				}
				continue
			}
			if !exists {
				ix.order = append(ix.order, ids[i])
			}
			ix.docs[ids[i]] = d
		}
		ix.updatedAt = nowUTC()
		return nil
	})
}

func compact(d map[string]any) string {
	b, _ := json.Marshal(d)
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

func (ix *index) remove(ids []string) int {
	gone := map[string]bool{}
	for _, id := range ids {
		if _, ok := ix.docs[id]; ok {
			delete(ix.docs, id)
			gone[id] = true
		}
	}
	if len(gone) > 0 {
		kept := ix.order[:0]
		for _, id := range ix.order {
			if !gone[id] {
				kept = append(kept, id)
			}
		}
		ix.order = kept
		ix.updatedAt = nowUTC()
	}
	return len(gone)
}

func (s *Server) deleteBatch(w http.ResponseWriter, r *http.Request, uid string) {
	var raw []any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		writeErr(w, invalidRequest("bad_request", "Invalid value type: expected an array of document ids: %v", err))
		return
	}
	ids := make([]string, len(raw))
	for i, v := range raw {
		ids[i] = fmt.Sprint(v)
	}
	s.deleteBatchIDs(w, uid, ids, "documentDeletion")
}

func (s *Server) deleteBatchIDs(w http.ResponseWriter, uid string, ids []string, typ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	details := map[string]any{"providedIds": len(ids)}
	s.enqueue(w, uid, typ, details, func() *apiError {
		ix, ok := s.indexes[uid]
		if !ok {
			return indexNotFound(uid)
		}
		details["deletedDocuments"] = ix.remove(ids)
		return nil
	})
}

func (s *Server) deleteAll(w http.ResponseWriter, uid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	details := map[string]any{}
	s.enqueue(w, uid, "documentDeletion", details, func() *apiError {
		ix, ok := s.indexes[uid]
		if !ok {
			return indexNotFound(uid)
		}
		details["deletedDocuments"] = len(ix.docs)
		ix.docs, ix.order = map[string]map[string]any{}, nil
		return nil
	})
}

func (s *Server) deleteByFilter(w http.ResponseWriter, r *http.Request, uid string) {
	var body struct {
		Filter any `json:"filter"`
	}
	if e := decode(r, &body); e != nil {
		writeErr(w, e)
		return
	}
	if body.Filter == nil {
		writeErr(w, invalidRequest("missing_document_filter", "Missing field `filter`"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexOr404(w, uid)
	if ix == nil {
		return
	}
	f, e := parseFilterParam(body.Filter, ix.settings.FilterableAttributes, "invalid_document_filter")
	if e != nil {
		writeErr(w, e)
		return
	}
	details := map[string]any{"originalFilter": body.Filter}
	s.enqueue(w, uid, "documentDeletion", details, func() *apiError {
		ix, ok := s.indexes[uid]
		if !ok {
			return indexNotFound(uid)
		}
		var ids []string
		for _, id := range ix.order {
			if f.eval(ix.docs[id]) {
				ids = append(ids, id)
			}
		}
		details["deletedDocuments"] = ix.remove(ids)
		return nil
	})
}

func (s *Server) getDocument(w http.ResponseWriter, uid, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexOr404(w, uid)
	if ix == nil {
		return
	}
	d, ok := ix.docs[id]
	if !ok {
		writeErr(w, newErr(http.StatusNotFound, "document_not_found", "invalid_request", "Document `%s` not found.", id))
		return
	}
	writeJSON(w, 200, d)
}

func (s *Server) listDocuments(w http.ResponseWriter, r *http.Request, uid string) {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit := 20
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v >= 0 {
		limit = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexOr404(w, uid)
	if ix == nil {
		return
	}
	res := []map[string]any{}
	for i := offset; i < len(ix.order) && len(res) < limit; i++ {
		res = append(res, ix.docs[ix.order[i]])
	}
	writeJSON(w, 200, map[string]any{"results": res, "offset": offset, "limit": limit, "total": len(ix.docs)})
}
