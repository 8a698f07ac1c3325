//! The loaders on the real data sets and on broken input.

mod common;

use kith::offline::build::loaders::{read_plain_interactions, LoadError};
use kith::offline::build::{load, Format, LoadOptions, LoadReport};

const STRICT: LoadOptions = LoadOptions { lenient: false };
const LENIENT: LoadOptions = LoadOptions { lenient: true };

#[test]
fn movielens_100k_loads_completely() {
    let d = load(Format::Ml100k, &common::shared_data("ml-100k"), STRICT).unwrap();
    assert_eq!(d.catalog.len(), 1682);
    assert_eq!(d.interactions.users.len(), 943);
    assert_eq!(d.interactions.entries.len(), 100_000);
    assert_eq!(d.report, LoadReport::default());
    let toy = d.catalog.get(d.catalog.index_of("1").unwrap()).unwrap();
    assert_eq!(toy.title, "Toy Story (1995)");
    assert_eq!(toy.tags, vec!["animation", "children's", "comedy"]);
    assert_eq!(toy.year, Some(1995));
    assert_eq!(toy.popularity, 452);
    // u.item is latin-1: é must decode, not turn into a replacement character.
    assert!(d
        .catalog
        .items()
        .iter()
        .any(|i| i.title.contains("Misérables")));
}

#[test]
fn goodbooks_embedded_copy_loads_with_clean_tags_and_merged_duplicates() {
    let d = load(Format::Goodbooks, &common::embedded_goodbooks(), STRICT).unwrap();
    assert_eq!(d.catalog.len(), 10_000);
    assert_eq!(d.interactions.users.len(), 53_424);
    // 981,756 rows, of which 2,278 repeat an earlier (user, book) pair.
    assert_eq!(d.interactions.entries.len(), 981_756 - 2_278);
    assert_eq!(d.report.duplicates_merged, 2_278);
    let dune = d
        .catalog
        .items()
        .iter()
        .find(|i| i.title.starts_with("Dune (Dune Chronicles"))
        .expect("Dune is in goodbooks");
    assert_eq!(dune.creators, vec!["Frank Herbert"]);
    assert!(
        dune.tags.contains(&"science-fiction".to_string()),
        "{:?}",
        dune.tags
    );
    assert_eq!(dune.series.as_ref().unwrap().name, "Dune Chronicles");
    let hp = d.catalog.get(d.catalog.index_of("2").unwrap()).unwrap();
    assert!(hp.tags.contains(&"fantasy".to_string()));
    // Reader shelves never survive as tags.
    for item in d.catalog.items() {
        for t in &item.tags {
            assert!(
                ![
                    "to-read",
                    "favorites",
                    "owned",
                    "kindle",
                    "fiction",
                    "harry-potter"
                ]
                .contains(&t.as_str()),
                "{t} on {}",
                item.title
            );
        }
    }
}

fn csv_folder(items: &str, interactions: &str) -> tempfile::TempDir {
    common::folder(&[("items.csv", items), ("interactions.csv", interactions)])
}

#[test]
fn generic_csv_reads_optional_columns_and_quoted_fields() {
    let dir = csv_folder(
        "id,title,creator,description,tags\n\
         a,\"Dune, the novel\",Frank Herbert,\"Sand, spice\",Science Fiction|Politics\n\
         b,<img src=x onerror=alert(1)>,,,\n",
        "user,item,rating\nu1,a,5\nu1,b,\nu2,a,3\n",
    );
    let d = load(Format::Csv, dir.path(), STRICT).unwrap();
    assert_eq!(d.catalog.len(), 2);
    let a = d.catalog.get(0).unwrap();
    assert_eq!(a.title, "Dune, the novel");
    assert_eq!(a.tags, vec!["science fiction", "politics"]);
    assert_eq!(a.popularity, 2);
    // Markup in a title is data, kept verbatim for the front end to render as text.
    assert_eq!(
        d.catalog.get(1).unwrap().title,
        "<img src=x onerror=alert(1)>"
    );
    assert_eq!(d.interactions.entries.len(), 3);
    assert_eq!(
        d.interactions.entries[1].rating, 1.0,
        "an empty rating means a plain positive"
    );
}

#[test]
fn a_broken_row_names_file_and_line_and_lenient_skips_it() {
    let dir = csv_folder(
        "id,title\na,A\nb,B\n",
        "user,item,rating\nu1,a,5\nu1,b,five\nu2,a,3\n",
    );
    let err = load(Format::Csv, dir.path(), STRICT).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, LoadError::Malformed { line: 3, .. }), "{msg}");
    assert!(
        msg.contains("interactions.csv:3") && msg.contains("five"),
        "{msg}"
    );

    let d = load(Format::Csv, dir.path(), LENIENT).unwrap();
    assert_eq!(d.report.skipped_rows, 1);
    assert_eq!(d.interactions.entries.len(), 2);
    assert!(d.report.summary().unwrap().contains("skipped 1 malformed"));
}

#[test]
fn wrong_field_counts_are_malformed() {
    let dir = csv_folder("id,title\na,A,extra\n", "user,item\n");
    let err = load(Format::Csv, dir.path(), STRICT).unwrap_err();
    assert!(err.to_string().contains("items.csv:2"), "{err}");
}

#[test]
fn unknown_items_are_reported_never_silently_dropped() {
    let dir = csv_folder("id,title\na,A\n", "user,item\nu1,a\nu1,zzz\n");
    let err = load(Format::Csv, dir.path(), STRICT).unwrap_err();
    assert!(
        matches!(err, LoadError::UnknownItem { line: 3, .. }),
        "{err}"
    );
    let d = load(Format::Csv, dir.path(), LENIENT).unwrap();
    assert_eq!(d.report.unknown_items, 1);
    assert_eq!(d.interactions.entries.len(), 1);
}

#[test]
fn duplicate_item_ids_and_missing_files_are_errors() {
    let dir = csv_folder("id,title\na,A\na,B\n", "user,item\n");
    assert!(matches!(
        load(Format::Csv, dir.path(), STRICT),
        Err(LoadError::Catalog { .. })
    ));
    let empty = common::folder(&[]);
    let err = load(Format::Ml100k, empty.path(), STRICT).unwrap_err();
    assert!(
        matches!(err, LoadError::Io { .. }) && err.to_string().contains("u.item"),
        "{err}"
    );
}

#[test]
fn ml100k_broken_rows() {
    let item = "1|A (1995)|01-Jan-1995||url|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
    let dir = common::folder(&[
        ("u.item", item),
        ("u.data", "1\t1\t5\t10\n2\t1\n3\t9\t4\t1\n"),
    ]);
    let err = load(Format::Ml100k, dir.path(), STRICT).unwrap_err();
    assert!(err.to_string().contains("u.data:2"), "{err}");
    let d = load(Format::Ml100k, dir.path(), LENIENT).unwrap();
    assert_eq!((d.report.skipped_rows, d.report.unknown_items), (1, 1));
    assert_eq!(d.catalog.get(0).unwrap().tags, vec!["action"]);
}

#[test]
fn plain_interaction_files_accept_tabs_or_commas() {
    let dir = common::folder(&[
        ("a.tsv", "u1\ti1\t4\t100\nu2\ti2\n\n"),
        ("b.csv", "u1,i3,5\nu2,i1\nbad\n"),
    ]);
    let mut report = LoadReport::default();
    let a = read_plain_interactions(&dir.path().join("a.tsv"), STRICT, &mut report).unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(
        (a[0].user.as_str(), a[0].item.as_str(), a[0].rating),
        ("u1", "i1", 4.0)
    );
    let err = read_plain_interactions(&dir.path().join("b.csv"), STRICT, &mut report).unwrap_err();
    assert!(err.to_string().contains("b.csv:3"), "{err}");
    let b = read_plain_interactions(&dir.path().join("b.csv"), LENIENT, &mut report).unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(report.skipped_rows, 1);
}
